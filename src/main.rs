//! The web app's entry point (built by trunk for wasm32). Natively it only says how to run it.

#[cfg(target_arch = "wasm32")]
fn main() {
    lokal::app::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "lokal is the web app: run `trunk serve` (see README.md), or use `lokal-cli` for headless runs."
    );
}
