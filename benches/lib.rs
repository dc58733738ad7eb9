//! Nothing to link: this crate only holds the criterion benches
//! (`cargo bench -p ferrokafka-benches`), apart from the client crate so
//! that their C-linking peers stay out of its dev-dependencies.
