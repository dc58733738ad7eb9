//! Link arguments for this package's own static examples, nothing else:
//! they apply to a musl build at opt-level "z", which is the workspace's
//! `release` profile (Cargo.toml), and only to the examples (an
//! application that depends on ferrokafka links with its own arguments).
//!
//! - RELR (`-z pack-relative-relocs`, GNU ld 2.38 or later, and the musl
//!   1.2.4 start-up code Rust ships) packs the static-PIE binary's
//!   relocations, 0.16 MB of `.rela.dyn`, into a few KB; the binary stays
//!   position-independent.
//! - A linker script drops the unwind tables (`.eh_frame`, 0.43 MB).
//!   x86_64 Linux emits them whatever `-C force-unwind-tables` says, and
//!   the precompiled standard library carries its own. A `release`
//!   binary never reads them: it aborts on panic instead of unwinding,
//!   and it is stripped, so a backtrace would have no names to show. A
//!   panic still prints its message, then aborts. The C start-up files
//!   keep theirs (`crtbegin` registers its frame table by symbol).
//!
//! Cargo does not tell a build script the profile's panic strategy, so
//! the opt-level stands for it: keep `panic = "abort"` in any profile at
//! opt-level "z", or an unwinding panic there would abort instead.

use std::env;
use std::fs;
use std::path::PathBuf;

const NO_UNWIND_TABLES: &str = "\
SECTIONS { /DISCARD/ : { EXCLUDE_FILE(*crtbegin*.o *crtend*.o) *(.eh_frame) } }
INSERT AFTER .text;
";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let is = |key: &str, value: &str| env::var(key).is_ok_and(|v| v == value);
    if !(is("CARGO_CFG_TARGET_OS", "linux")
        && is("CARGO_CFG_TARGET_ENV", "musl")
        && is("OPT_LEVEL", "z"))
    {
        return;
    }
    let Some(out) = env::var_os("OUT_DIR") else {
        return;
    };
    let script = PathBuf::from(out).join("no-unwind-tables.ld");
    if let Err(e) = fs::write(&script, NO_UNWIND_TABLES) {
        panic!("writing {}: {e}", script.display());
    }
    println!("cargo:rustc-link-arg-examples=-Wl,-z,pack-relative-relocs");
    println!("cargo:rustc-link-arg-examples=-Wl,-T,{}", script.display());
}
