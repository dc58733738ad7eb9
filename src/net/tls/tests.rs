use super::*;

#[test]
fn host_of_strips_the_port_and_ipv6_brackets() {
    assert_eq!(host_of("broker-1.example:9093"), "broker-1.example");
    assert_eq!(host_of("127.0.0.1:9093"), "127.0.0.1");
    assert_eq!(host_of("[::1]:9093"), "::1");
}

#[test]
fn this_machine_can_run_the_provider() {
    // The machines the project builds on can; on others `provider` must
    // refuse with a typed error rather than stop the process.
    match provider() {
        Ok(_) => assert!(cpu_supported()),
        Err(e) => assert!(e.to_string().contains("not available on this CPU"), "{e}"),
    }
}
