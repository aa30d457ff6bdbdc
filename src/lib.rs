//! Kho: the citizen e-data store behind "provide information once".

pub mod crypto;
pub mod ids;
