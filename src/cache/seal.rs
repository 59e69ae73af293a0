//! The fleet key: what makes a cached variant unforgeable by anyone who can
//! write the store but does not hold the key (JAX's warning about its
//! cache: whoever can write it can run code).
//!
//! A variant is authenticated with HMAC-SHA-256 over a domain string, its
//! key and the bytes that pin its content (the disk header's two SHA-256
//! sums, or a value's own digest). The key itself is configured per engine
//! (`fleet_key`, `TAILOR_FLEET_KEY`) and never written to any tier.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use std::sync::Arc;

/// The shortest fleet key accepted, in bytes.
pub const MIN_KEY_BYTES: usize = 16;

/// The MAC's length.
pub const TAG_LEN: usize = 32;

/// A shared secret of the engines of one fleet. `Debug` does not print it.
#[derive(Clone, PartialEq, Eq)]
pub struct FleetKey(Arc<[u8]>);

impl FleetKey {
    /// A key from its configured text (surrounding whitespace is not part
    /// of it: a key file usually ends in a newline).
    pub fn new(text: &str) -> Result<FleetKey, String> {
        let text = text.trim();
        if text.len() < MIN_KEY_BYTES {
            return Err(format!(
                "the fleet key has {} bytes; give at least {MIN_KEY_BYTES} (e.g. `openssl rand -hex 32`)",
                text.len()
            ));
        }
        Ok(FleetKey(Arc::from(text.as_bytes())))
    }

    fn hmac(&self, domain: &str, key: &str, parts: &[&[u8]]) -> Hmac<Sha256> {
        // Any length is a valid HMAC key; `new_from_slice` cannot fail here.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        for part in [domain.as_bytes(), key.as_bytes()]
            .into_iter()
            .chain(parts.iter().copied())
        {
            mac.update(&(part.len() as u64).to_le_bytes());
            mac.update(part);
        }
        mac
    }

    /// The tag of `parts` under `domain` (what kind of value) and `key`
    /// (which variant): a tag made for one key or kind never checks for
    /// another.
    pub fn tag(&self, domain: &str, key: &str, parts: &[&[u8]]) -> [u8; TAG_LEN] {
        self.hmac(domain, key, parts).finalize().into_bytes().into()
    }

    /// Whether `tag` is the tag of `parts`, compared in constant time.
    pub fn verify(&self, domain: &str, key: &str, parts: &[&[u8]], tag: &[u8]) -> bool {
        self.hmac(domain, key, parts).verify_slice(tag).is_ok()
    }
}

impl fmt::Debug for FleetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FleetKey({} bytes)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_checks_for_its_key_domain_and_bytes_only() {
        let k = FleetKey::new("0123456789abcdef0123").unwrap();
        let tag = k.tag("variant", "aa", &[b"one", b"two"]);
        assert!(k.verify("variant", "aa", &[b"one", b"two"], &tag));
        assert!(!k.verify("variant", "ab", &[b"one", b"two"], &tag));
        assert!(!k.verify("ir", "aa", &[b"one", b"two"], &tag));
        // Lengths are framed: moving a byte between parts changes the tag.
        assert!(!k.verify("variant", "aa", &[b"on", b"etwo"], &tag));
        let other = FleetKey::new("another key of the fleet").unwrap();
        assert!(!other.verify("variant", "aa", &[b"one", b"two"], &tag));
    }

    #[test]
    fn short_keys_are_refused_and_debug_hides_the_key() {
        let e = FleetKey::new("  short\n").unwrap_err();
        assert!(e.contains("5 bytes") && e.contains("at least 16"), "{e}");
        let k = FleetKey::new("0123456789abcdef\n").unwrap();
        assert_eq!(format!("{k:?}"), "FleetKey(16 bytes)");
    }
}
