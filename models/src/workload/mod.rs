//! Workload generators and the SPC block-trace reader.
