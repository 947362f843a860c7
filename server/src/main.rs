//! The Burner server binary.
#![recursion_limit = "256"]

use server::settings::{Settings, config_path, help_text};
use server::startup::Application;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        print!("{}", help_text());
        return ExitCode::SUCCESS;
    }
    let env = |name: &str| std::env::var(name).ok();
    let (path, required) = config_path(&args, env);
    let settings = match Settings::load(&path, required, env) {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("burner: {err}");
            return ExitCode::from(2);
        }
    };
    server::telemetry::init(&settings.log_filter);
    let started = async { Application::build(settings).await?.run_until_stopped().await };
    match started.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("burner: {err:#}");
            ExitCode::FAILURE
        }
    }
}
