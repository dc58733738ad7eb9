//! `ferrokafka`: one static binary, no C. With kcat's flags it is kcat
//! (`-P`, `-C`, `-G`, `-L`, `-Q`: same output bytes, same exit codes);
//! with a subcommand word first (`topic`, `watermarks`, `offsets`,
//! `group`, `config`, `acl`, `cluster`) it runs admin commands. See the README's "The ferrokafka
//! binary" section.

mod acl;
mod admin;
mod configs;
mod group;
mod group_info;
mod kcat;

/// The static musl build allocates with dlmalloc (pure Rust) rather than
/// musl's own allocator, which maps every freed block of 128 KiB or more
/// back to the kernel: each fetch response then cost a fresh mapping and
/// a page fault per 4 KiB. `-C` used 0.35 s of CPU for a million
/// messages with musl's allocator and 0.30 s with this one, with a
/// twentieth of the page faults (BENCHMARKS.md). glibc builds keep the
/// system allocator.
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    // One thread: the binary is one client doing one thing, and on the
    // static musl build every allocation freed on another thread than
    // the one that made it contends in musl's allocator: -P spent a
    // third less CPU on one thread than on two workers, and less wall
    // time (BENCHMARKS.md, "The `ferrokafka` binary against kcat").
    // Nothing in the library needs a multi-thread runtime (no
    // block_in_place).
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => kcat::fatal(&format!("cannot start the runtime: {e}")),
    };
    let admin = argv
        .first()
        .is_some_and(|w| admin::WORDS.contains(&w.as_str()));
    let code = runtime.block_on(async move {
        if admin {
            admin::run(argv).await
        } else {
            kcat::run(argv).await
        }
    });
    // Tasks still running (connections, timers) end with the process.
    runtime.shutdown_background();
    std::process::exit(code);
}
