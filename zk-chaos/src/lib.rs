//! A randomized fault soak of zk-client against a real three-member ensemble (see the
//! README's "Fault soak" section): seeded workload and faults, every operation recorded, and
//! checkers for linearizability per key, sequential names, ephemeral nodes and watches.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod checker;
pub mod checks;
pub mod harness;
pub mod history;
pub mod model;
