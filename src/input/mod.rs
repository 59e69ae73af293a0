//! Inputs (DESIGN §3): the YAML input specs that bind every argument of a
//! kernel's entry function, the deterministic generators and `.npy`/`.csv`/raw
//! readers that fill their arrays, and the 64-byte aligned [`Buffer`]s the
//! arrays live in.
//!
//! An [`InputSpec`] is parsed and validated first; [`InputSpec::materialize`]
//! then binds it to the entry's [`Signature`](crate::kernel::Signature) and
//! makes the data, giving an [`Input`] in parameter order. This module knows
//! nothing about profiles.

mod buffer;
mod error;
pub(crate) mod files;
mod gen;
mod rng;
mod spec;
mod value;
mod yaml;

#[cfg(test)]
mod tests;

pub use buffer::{AllocError, ArrayView, ArrayViewMut, Buffer};
pub use error::InputError;
pub(crate) use files::confined as files_confined;
pub use files::{read_regular, to_npy, MAX_FILE};
pub use rng::Rng;
pub use spec::{DataSource, InputSpec};
pub use value::{Arg, Input, Role, Scalar, Value};

/// The most elements an array may have, however it is made.
pub const MAX_LEN: usize = gen::MAX_LEN;

/// The most bytes of arrays one input may hold: the engine copies an input
/// a few times on its way to the sandbox, and must not run out of memory
/// because of one request.
pub const MAX_INPUT_BYTES: usize = 4 << 30;
