//! The framed protocol between the engine and its sandboxed processes:
//! each message is a JSON header and a binary payload, both length-prefixed
//! (`u32` header length, header, `u64` payload length, payload; little
//! endian). Headers carry structure, payloads carry bulk bytes (IR, object
//! code, argument buffers) without encoding them.

use serde::{de::DeserializeOwned, Serialize};
use std::io::{self, Read, Write};

/// Headers larger than this are refused: a header is metadata.
pub const MAX_HEADER: usize = 64 << 20;
/// Payloads larger than this are refused.
pub const MAX_PAYLOAD: u64 = 8 << 30;

pub fn send<W: Write, T: Serialize>(w: &mut W, header: &T, payload: &[u8]) -> io::Result<()> {
    let json = serde_json::to_vec(header).map_err(io::Error::other)?;
    w.write_all(&(json.len() as u32).to_le_bytes())?;
    w.write_all(&json)?;
    w.write_all(&(payload.len() as u64).to_le_bytes())?;
    w.write_all(payload)?;
    w.flush()
}

/// Reads one message; `Ok(None)` at a clean end of stream. A payload
/// announced larger than `max_payload` (at most [`MAX_PAYLOAD`]) is refused
/// before anything is allocated for it.
pub fn recv<R: Read, T: DeserializeOwned>(
    r: &mut R,
    max_payload: u64,
) -> io::Result<Option<(T, Vec<u8>)>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let n = u32::from_le_bytes(len) as usize;
    if n > MAX_HEADER {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("header of {n} bytes"),
        ));
    }
    let mut json = vec![0u8; n];
    r.read_exact(&mut json)?;
    let header =
        serde_json::from_slice(&json).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e));
    // Headers carry scalars of a request: nothing of it stays behind in
    // freed memory (an executor's children inherit its heap).
    json.fill(0);
    let header = header?;
    let mut plen = [0u8; 8];
    r.read_exact(&mut plen)?;
    let p = u64::from_le_bytes(plen);
    let limit = max_payload.min(MAX_PAYLOAD);
    if p > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("payload of {p} bytes announced, at most {limit} expected"),
        ));
    }
    let mut payload = vec![0u8; p as usize];
    r.read_exact(&mut payload)?;
    Ok(Some((header, payload)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_and_end_cleanly() {
        let mut buf = Vec::new();
        send(&mut buf, &serde_json::json!({"a": 1}), b"payload").expect("send");
        send(&mut buf, &serde_json::json!("second"), b"").expect("send");
        let mut r = &buf[..];
        let (h, p): (serde_json::Value, Vec<u8>) =
            recv(&mut r, MAX_PAYLOAD).expect("recv").expect("message");
        assert_eq!(h["a"], 1);
        assert_eq!(p, b"payload");
        let (h, p): (serde_json::Value, Vec<u8>) =
            recv(&mut r, MAX_PAYLOAD).expect("recv").expect("message");
        assert_eq!(h, "second");
        assert!(p.is_empty());
        assert!(recv::<_, serde_json::Value>(&mut r, MAX_PAYLOAD)
            .expect("eof")
            .is_none());
    }

    #[test]
    fn truncated_and_oversized_messages_are_errors() {
        let mut buf = Vec::new();
        send(&mut buf, &serde_json::json!({"a": 1}), b"payload").expect("send");
        let mut r = &buf[..buf.len() - 2];
        assert!(recv::<_, serde_json::Value>(&mut r, MAX_PAYLOAD).is_err());
        let mut small = Vec::new();
        send(&mut small, &serde_json::json!(1), &[0u8; 64]).expect("send");
        let err = recv::<_, serde_json::Value>(&mut &small[..], 63).expect_err("bounded");
        assert!(err.to_string().contains("at most 63"), "{err}");
        let huge = (u32::MAX).to_le_bytes();
        let mut r = &huge[..];
        assert!(recv::<_, serde_json::Value>(&mut r, MAX_PAYLOAD).is_err());
    }
}
