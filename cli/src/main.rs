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

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
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
