//! Document content encrypted in fixed-size segments with the STREAM construction (`aead-stream`
//! over AES-256-GCM): nonce prefix ‖ 32-bit counter ‖ last-segment flag. Any size streams in
//! bounded memory; truncation, reordering, appending and swapping between documents or owners
//! fail authentication.
//!
//! Layout of a sealed blob: a 16-byte header (`KHOS`, format version, segment size, 7-byte nonce
//! prefix), then segments of `SEGMENT_SIZE + 16` bytes, the last one shorter (at least 16 bytes,
//! even for empty content). Every segment's associated data is the header plus the [`Binding`],
//! so the header is authenticated too. The key is derived per document version from the owner's
//! data key.

use aead_stream::{NewStream, StreamBE32, StreamPrimitive};
use aes_gcm::Aes256Gcm;
use aes_gcm::aead::KeyInit;
use uuid::Uuid;

use super::{DataKey, IntegrityError, random_bytes};

/// Plaintext bytes per segment.
pub const SEGMENT_SIZE: usize = 64 * 1024;
/// Length of the blob header.
pub const HEADER_LEN: usize = 16;
const TAG_LEN: usize = 16;
const MAGIC: &[u8; 4] = b"KHOS";
const FORMAT: u8 = 1;
/// Segment sizes a reader accepts, so a header cannot make it buffer without bound.
const SEGMENT_SIZES: std::ops::RangeInclusive<usize> = 1024..=(16 * 1024 * 1024);

/// What a sealed blob belongs to: the owner, the document and its version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    pub owner: Uuid,
    pub document: Uuid,
    pub version: u32,
}

impl Binding {
    fn key(&self, data_key: &DataKey) -> Result<Aes256Gcm, IntegrityError> {
        let sub = data_key.derive(&[
            b"kho/content/v1\0",
            self.document.as_bytes(),
            &self.version.to_be_bytes(),
        ])?;
        Aes256Gcm::new_from_slice(sub.as_slice()).map_err(|_| IntegrityError)
    }

    fn aad(&self, header: &[u8; HEADER_LEN]) -> Vec<u8> {
        [
            header.as_slice(),
            self.owner.as_bytes(),
            self.document.as_bytes(),
            &self.version.to_be_bytes(),
        ]
        .concat()
    }
}

/// The sealed size of `plain_len` bytes of content.
pub fn sealed_len(plain_len: u64) -> u64 {
    let seg = SEGMENT_SIZE as u64;
    let segments = plain_len.div_ceil(seg).max(1);
    HEADER_LEN as u64 + plain_len + segments * TAG_LEN as u64
}

/// Seals content pushed in pieces of any size.
pub struct SegmentEncryptor {
    stream: StreamBE32<Aes256Gcm>,
    aad: Vec<u8>,
    position: u32,
    pending: Vec<u8>,
    scratch: Vec<u8>,
}

impl SegmentEncryptor {
    /// Starts a blob; the header is the first thing written to `out`.
    pub fn new(
        data_key: &DataKey,
        binding: &Binding,
        out: &mut Vec<u8>,
    ) -> Result<Self, IntegrityError> {
        let prefix: [u8; 7] = random_bytes()?;
        let mut header = [0u8; HEADER_LEN];
        header[..4].copy_from_slice(MAGIC);
        header[4] = FORMAT;
        header[5..9].copy_from_slice(&(SEGMENT_SIZE as u32).to_be_bytes());
        header[9..].copy_from_slice(&prefix);
        out.extend_from_slice(&header);
        let stream = StreamBE32::from_aead(binding.key(data_key)?, &prefix.into());
        Ok(Self {
            stream,
            aad: binding.aad(&header),
            position: 0,
            pending: Vec::with_capacity(SEGMENT_SIZE),
            scratch: Vec::with_capacity(SEGMENT_SIZE + TAG_LEN),
        })
    }

    /// Encrypts every complete segment that is known not to be the last one.
    pub fn push(&mut self, mut data: &[u8], out: &mut Vec<u8>) -> Result<(), IntegrityError> {
        while !data.is_empty() {
            if self.pending.len() == SEGMENT_SIZE {
                // More data follows, so the buffered segment is not the last: seal it.
                let segment = std::mem::take(&mut self.pending);
                self.seal(&segment, false, out)?;
                self.pending = segment;
                self.pending.clear();
            }
            let take = (SEGMENT_SIZE - self.pending.len()).min(data.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
        }
        Ok(())
    }

    /// Seals what is left as the last segment (possibly empty).
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<(), IntegrityError> {
        let last = std::mem::take(&mut self.pending);
        self.seal(&last, true, out)
    }

    fn seal(
        &mut self,
        segment: &[u8],
        last: bool,
        out: &mut Vec<u8>,
    ) -> Result<(), IntegrityError> {
        self.scratch.clear();
        self.scratch.extend_from_slice(segment);
        self.stream
            .encrypt_in_place(self.position, last, &self.aad, &mut self.scratch)
            .map_err(|_| IntegrityError)?;
        self.position = self.position.checked_add(1).ok_or(IntegrityError)?;
        out.extend_from_slice(&self.scratch);
        Ok(())
    }
}

/// Opens a sealed blob pushed in pieces of any size; releases plaintext only after its segment
/// has authenticated.
pub struct SegmentDecryptor {
    key: Aes256Gcm,
    binding: Binding,
    state: Option<Opened>,
    pending: Vec<u8>,
}

struct Opened {
    stream: StreamBE32<Aes256Gcm>,
    aad: Vec<u8>,
    sealed_segment: usize,
    position: u32,
    scratch: Vec<u8>,
}

impl SegmentDecryptor {
    pub fn new(data_key: &DataKey, binding: Binding) -> Result<Self, IntegrityError> {
        Ok(Self {
            key: binding.key(data_key)?,
            binding,
            state: None,
            pending: Vec::new(),
        })
    }

    /// Decrypts every complete segment that is known not to be the last one.
    pub fn push(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), IntegrityError> {
        self.pending.extend_from_slice(data);
        if self.state.is_none() {
            if self.pending.len() < HEADER_LEN {
                return Ok(());
            }
            self.open_header()?;
        }
        let Some(state) = self.state.as_mut() else {
            return Err(IntegrityError);
        };
        let mut start = 0;
        // Strictly more than one segment buffered: the first cannot be the last.
        while self.pending.len() - start > state.sealed_segment {
            let end = start + state.sealed_segment;
            state.open(&self.pending[start..end], false, out)?;
            start = end;
        }
        self.pending.drain(..start);
        Ok(())
    }

    /// Decrypts the last segment; fails if the blob was truncated or extended.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<(), IntegrityError> {
        if self.state.is_none() {
            self.open_header()?;
        }
        let state = self.state.as_mut().ok_or(IntegrityError)?;
        if self.pending.len() < TAG_LEN {
            return Err(IntegrityError);
        }
        state.open(&self.pending, true, out)
    }

    fn open_header(&mut self) -> Result<(), IntegrityError> {
        let header: [u8; HEADER_LEN] = self
            .pending
            .get(..HEADER_LEN)
            .ok_or(IntegrityError)?
            .try_into()
            .map_err(|_| IntegrityError)?;
        if &header[..4] != MAGIC || header[4] != FORMAT {
            return Err(IntegrityError);
        }
        let size = u32::from_be_bytes([header[5], header[6], header[7], header[8]]) as usize;
        if !SEGMENT_SIZES.contains(&size) {
            return Err(IntegrityError);
        }
        let prefix: [u8; 7] = header[9..].try_into().map_err(|_| IntegrityError)?;
        self.state = Some(Opened {
            stream: StreamBE32::from_aead(self.key.clone(), &prefix.into()),
            aad: self.binding.aad(&header),
            sealed_segment: size + TAG_LEN,
            position: 0,
            scratch: Vec::with_capacity(size + TAG_LEN),
        });
        self.pending.drain(..HEADER_LEN);
        Ok(())
    }
}

impl Opened {
    fn open(&mut self, sealed: &[u8], last: bool, out: &mut Vec<u8>) -> Result<(), IntegrityError> {
        self.scratch.clear();
        self.scratch.extend_from_slice(sealed);
        self.stream
            .decrypt_in_place(self.position, last, &self.aad, &mut self.scratch)
            .map_err(|_| IntegrityError)?;
        out.extend_from_slice(&self.scratch);
        self.position = self.position.checked_add(1).ok_or(IntegrityError)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn binding() -> Binding {
        Binding {
            owner: Uuid::from_u128(1),
            document: Uuid::from_u128(2),
            version: 1,
        }
    }

    fn seal(key: &DataKey, b: &Binding, plain: &[u8], piece: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = SegmentEncryptor::new(key, b, &mut out).unwrap();
        for chunk in plain.chunks(piece.max(1)) {
            enc.push(chunk, &mut out).unwrap();
        }
        enc.finish(&mut out).unwrap();
        out
    }

    fn open(
        key: &DataKey,
        b: Binding,
        sealed: &[u8],
        piece: usize,
    ) -> Result<Vec<u8>, IntegrityError> {
        let mut out = Vec::new();
        let mut dec = SegmentDecryptor::new(key, b)?;
        for chunk in sealed.chunks(piece.max(1)) {
            dec.push(chunk, &mut out)?;
        }
        dec.finish(&mut out)?;
        Ok(out)
    }

    #[test]
    fn sizes_around_segment_boundaries_round_trip() {
        let key = DataKey::generate().unwrap();
        for len in [
            0,
            1,
            SEGMENT_SIZE - 1,
            SEGMENT_SIZE,
            SEGMENT_SIZE + 1,
            3 * SEGMENT_SIZE,
        ] {
            let plain: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let sealed = seal(&key, &binding(), &plain, 10_000);
            assert_eq!(
                sealed.len() as u64,
                sealed_len(len as u64),
                "sealed length of {len}"
            );
            assert_eq!(
                open(&key, binding(), &sealed, 7_777).unwrap(),
                plain,
                "round trip of {len}"
            );
        }
    }

    #[test]
    fn truncation_at_a_segment_boundary_is_detected() {
        let key = DataKey::generate().unwrap();
        let sealed = seal(&key, &binding(), &vec![5u8; 2 * SEGMENT_SIZE + 10], 4096);
        let cut = HEADER_LEN + 2 * (SEGMENT_SIZE + TAG_LEN);
        assert!(open(&key, binding(), &sealed[..cut], 4096).is_err());
        assert!(open(&key, binding(), &sealed[..HEADER_LEN], 4096).is_err());
    }

    #[test]
    fn appended_and_reordered_segments_are_detected() {
        let key = DataKey::generate().unwrap();
        let sealed = seal(&key, &binding(), &vec![5u8; 2 * SEGMENT_SIZE + 10], 4096);
        let mut longer = sealed.clone();
        longer.extend_from_slice(&[0; 32]);
        assert!(open(&key, binding(), &longer, 4096).is_err());
        let seg = SEGMENT_SIZE + TAG_LEN;
        let mut swapped = sealed[..HEADER_LEN].to_vec();
        swapped.extend_from_slice(&sealed[HEADER_LEN + seg..HEADER_LEN + 2 * seg]);
        swapped.extend_from_slice(&sealed[HEADER_LEN..HEADER_LEN + seg]);
        swapped.extend_from_slice(&sealed[HEADER_LEN + 2 * seg..]);
        assert!(open(&key, binding(), &swapped, 4096).is_err());
    }

    #[test]
    fn another_document_version_or_owner_cannot_open_it() {
        let key = DataKey::generate().unwrap();
        let sealed = seal(&key, &binding(), b"hello", 3);
        for other in [
            Binding {
                owner: Uuid::from_u128(9),
                ..binding()
            },
            Binding {
                document: Uuid::from_u128(9),
                ..binding()
            },
            Binding {
                version: 2,
                ..binding()
            },
        ] {
            assert!(open(&key, other, &sealed, 3).is_err());
        }
        assert!(open(&DataKey::generate().unwrap(), binding(), &sealed, 3).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_single_flipped_bit_is_detected(len in 0usize..(2 * SEGMENT_SIZE), at in any::<prop::sample::Index>(), bit in 0u8..8) {
            let key = DataKey::generate().unwrap();
            let mut sealed = seal(&key, &binding(), &vec![1u8; len], 8192);
            let i = at.index(sealed.len());
            sealed[i] ^= 1 << bit;
            prop_assert!(open(&key, binding(), &sealed, 8192).is_err());
        }
    }
}
