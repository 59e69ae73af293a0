//! tailor: synthesizes code variants tailored to the data they run on.
//!
//! The folders follow the request path (DESIGN §1): a [`kernel`] and an
//! [`input`] are analyzed into a [`analyze::CharacteristicVector`], which
//! selects a [`profile::Profile`] and is planned into a [`profile::Plan`].

pub mod analyze;
pub mod bench;
pub mod cache;
pub mod cli;
pub mod engine;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod input;
pub mod kernel;
pub mod llvm;
pub mod profile;
pub mod sandbox;
pub mod service;
pub mod target;
pub mod transform;
pub mod tui;
