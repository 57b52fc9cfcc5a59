//! The headless runner. All logic lives in `lokal::cli`; this file only wires up the process.

fn main() {
    // A bug must still end in one readable line, never a backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("lokal-cli: internal error: {info}. Please report it with the command you ran.");
    }));
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = lokal::cli::main_with_args(&args, &mut std::io::stdout(), &mut std::io::stderr());
    std::process::exit(code);
}
