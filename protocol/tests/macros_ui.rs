//! Each mistake in a message declaration fails the build with one error,
//! placed at the declaration, with a message that names the mistake. The
//! expected compiler output is in `tests/ui/*.stderr` (stable Rust).

#[test]
fn declaration_mistakes_fail_at_the_declaration() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
