//! A randomized fault soak of zk-client against a real three-member ensemble (see the guide's
//! `docs/testing.md`, "Fault soak"): seeded workload and faults, every operation recorded, and
//! checkers for linearizability per key group (multis included), sequential names, ephemeral
//! nodes, watches, pipelined reply order and fenced lock holders.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod checker;
pub mod checks;
mod faults;
pub mod harness;
pub mod history;
mod locker;
pub mod model;
mod tidy;
mod workload;
