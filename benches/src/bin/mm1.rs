//! `mm1 --customers N --seed S [--engine sim|bare]`: runs the M/M/1 benchmark and prints one
//! JSON line (docs/contracts.md section 7). `--engine bare` runs the hand-written reference loop.

use benches::mm1::{run_bare, run_sim};
use std::process::ExitCode;

fn usage(msg: &str) -> ExitCode {
    eprintln!(
        "mm1: {msg}\nusage: mm1 [--customers N] [--seed S] [--engine sim|bare]\n  defaults: --customers 10000000 --seed 1 --engine sim"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut customers: u64 = 10_000_000;
    let mut seed: u64 = 1;
    let mut engine = String::from("sim");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        let r: Result<(), String> = match a.as_str() {
            "--customers" => value("--customers").and_then(|v| {
                v.parse()
                    .map(|n| customers = n)
                    .map_err(|e| format!("--customers {v}: {e} (expected a non-negative integer)"))
            }),
            "--seed" => value("--seed").and_then(|v| {
                v.parse()
                    .map(|n| seed = n)
                    .map_err(|e| format!("--seed {v}: {e} (expected an unsigned 64-bit integer)"))
            }),
            "--engine" => value("--engine").map(|v| engine = v),
            "-h" | "--help" => {
                return usage("M/M/1 engine benchmark (arrival rate 0.9, service rate 1.0)")
                    .into_ok();
            }
            other => Err(format!("unknown argument `{other}`")),
        };
        if let Err(e) = r {
            return usage(&e);
        }
    }
    let line = match engine.as_str() {
        "sim" => run_sim(customers, seed).json("xrcsim-sim"),
        "bare" => run_bare(customers, seed).json("bare-binaryheap"),
        other => return usage(&format!("unknown engine `{other}`: allowed are sim, bare")),
    };
    println!("{line}");
    ExitCode::SUCCESS
}

trait IntoOk {
    fn into_ok(self) -> ExitCode;
}
impl IntoOk for ExitCode {
    fn into_ok(self) -> ExitCode {
        ExitCode::SUCCESS
    }
}
