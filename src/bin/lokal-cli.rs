//! The headless runner. All logic lives in `lokal::cli`; this file only wires up the process.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    // A bug must still end in one readable line, never a backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("lokal-cli: internal error: {info}. Please report it with the command you ran.");
    }));
    // Arguments as the OS gives them: one that is not UTF-8 is a usage error (exit 2), not a panic.
    let code = lokal::cli::main_with_args(
        std::env::args_os().skip(1),
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    );
    std::process::exit(code);
}

/// The runner is a native program; the wasm32 build of the crate has nothing to run here.
#[cfg(target_arch = "wasm32")]
fn main() {}
