//! The Burner server binary: reads settings, starts logging, serves until stopped.
#![recursion_limit = "256"]

use server::settings::{Loaded, load};
use server::startup::Application;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let settings = match load(std::env::args_os()) {
        Ok(Loaded::Run(settings)) => *settings,
        Ok(Loaded::Print(text)) => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            eprintln!("burner: {err}");
            return ExitCode::from(2);
        }
    };
    if let Err(err) = server::telemetry::init(&settings.log) {
        eprintln!("burner: setting log.filter (BURNER_LOG): {err}");
        return ExitCode::from(2);
    }
    let started = async { Application::build(settings).await?.run_until_stopped().await };
    match started.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("burner: {err:#}");
            ExitCode::FAILURE
        }
    }
}
