//! The loader's pre-check of a library file, before dlopen: dlopen maps a truncated library
//! without complaint and the process dies of SIGBUS when it touches a segment past the end of the
//! file, so every loadable segment must lie inside the file.
//!
//! The file is outside input: every offset it holds is read with checked arithmetic, so a crafted
//! header (an offset near `u64::MAX`) is refused like any other bad file, in every build.

use std::{fmt, io::Read, path::Path};

/// The headers sit at the front; reading the whole library would cost milliseconds.
pub const HEAD_BYTES: u64 = 64 * 1024;

const PT_LOAD: [u8; 4] = [1, 0, 0, 0];

/// Why a file is not a library this host can load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Unreadable,
    /// Not a 64-bit little-endian ELF shared object (what this host's platforms load).
    NotALibrary,
    /// The program headers are cut off (or lie past the part of the file that is read).
    HeadersCutOff,
    /// A loadable segment ends past the end of the file.
    SegmentPastEnd,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Problem::Unreadable => "cannot be read",
            Problem::NotALibrary => "not a loadable shared library",
            Problem::HeadersCutOff => "truncated: its program headers are cut off",
            Problem::SegmentPastEnd => "truncated: a loadable segment runs past the end of the file",
        })
    }
}

/// Checks the file at `path`, `len` bytes long.
pub fn check_file(path: &Path, len: u64) -> Result<(), Problem> {
    let mut head = Vec::with_capacity(HEAD_BYTES as usize);
    std::fs::File::open(path)
        .and_then(|f| f.take(HEAD_BYTES).read_to_end(&mut head))
        .map_err(|_| Problem::Unreadable)?;
    check(&head, len)
}

/// Checks a file of `len` bytes that starts with `head`.
pub fn check(head: &[u8], len: u64) -> Result<(), Problem> {
    if loadable_end(head)? > len {
        return Err(Problem::SegmentPastEnd);
    }
    Ok(())
}

/// Where the last loadable (`PT_LOAD`) segment of the file starting with `head` ends: the length
/// the file needs to be complete for the loader.
pub fn loadable_end(head: &[u8]) -> Result<u64, Problem> {
    if head.get(..6) != Some(b"\x7fELF\x02\x01") || u16_at(head, 16) != Some(3) {
        return Err(Problem::NotALibrary); // ET_DYN = 3
    }
    let (Some(phoff), Some(phentsize), Some(phnum)) =
        (u64_at(head, 0x20), u16_at(head, 0x36), u16_at(head, 0x38))
    else {
        return Err(Problem::NotALibrary);
    };
    let phoff = usize::try_from(phoff).map_err(|_| Problem::HeadersCutOff)?;
    let mut end = 0;
    for i in 0..usize::from(phnum) {
        let at = i.checked_mul(usize::from(phentsize)).and_then(|o| o.checked_add(phoff));
        let kind = at.and_then(|at| bytes_at(head, at, 4)).ok_or(Problem::HeadersCutOff)?;
        if kind != PT_LOAD {
            continue;
        }
        // p_offset at +8, p_filesz at +32 of the 64-bit program header.
        let field = |delta: usize| at.and_then(|at| at.checked_add(delta)).and_then(|at| u64_at(head, at));
        let (offset, size) = field(8).zip(field(32)).ok_or(Problem::HeadersCutOff)?;
        end = end.max(offset.checked_add(size).ok_or(Problem::SegmentPastEnd)?);
    }
    Ok(end)
}

fn bytes_at(head: &[u8], at: usize, n: usize) -> Option<&[u8]> {
    head.get(at..at.checked_add(n)?)
}

fn u16_at(head: &[u8], at: usize) -> Option<u16> {
    bytes_at(head, at, 2).map(|b| u16::from_le_bytes([b[0], b[1]]))
}

fn u64_at(head: &[u8], at: usize) -> Option<u64> {
    let b: [u8; 8] = bytes_at(head, at, 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A 64-byte ELF header of a shared object with the given program-header table.
    fn header(phoff: u64, phentsize: u16, phnum: u16) -> Vec<u8> {
        let mut h = vec![0u8; 64];
        h[..6].copy_from_slice(b"\x7fELF\x02\x01");
        h[16..18].copy_from_slice(&3u16.to_le_bytes());
        h[0x20..0x28].copy_from_slice(&phoff.to_le_bytes());
        h[0x36..0x38].copy_from_slice(&phentsize.to_le_bytes());
        h[0x38..0x3a].copy_from_slice(&phnum.to_le_bytes());
        h
    }

    fn load_segment(offset: u64, size: u64) -> Vec<u8> {
        let mut p = vec![0u8; 56];
        p[..4].copy_from_slice(&PT_LOAD);
        p[8..16].copy_from_slice(&offset.to_le_bytes());
        p[32..40].copy_from_slice(&size.to_le_bytes());
        p
    }

    /// Issue 13 item 3: this header made a debug build panic with "attempt to add with overflow".
    #[test]
    fn a_program_header_offset_near_the_end_of_u64_is_refused() {
        for phoff in [u64::MAX, u64::MAX - 3, u64::MAX - 55, 1 << 63] {
            assert_eq!(check(&header(phoff, 56, 3), 64), Err(Problem::HeadersCutOff), "{phoff:#x}");
        }
        assert_eq!(check(&header(64, u16::MAX, u16::MAX), 64), Err(Problem::HeadersCutOff));
    }

    #[test]
    fn segments_are_measured_against_the_file() {
        let mut file = header(64, 56, 2);
        file.extend(load_segment(0, 4096));
        file.extend(load_segment(4096, u64::MAX - 100)); // overflows when added
        assert_eq!(check(&file, 1 << 20), Err(Problem::SegmentPastEnd));
        let mut file = header(64, 56, 2);
        file.extend(load_segment(0, 4096));
        file.extend(load_segment(4096, 100));
        assert_eq!(loadable_end(&file), Ok(4196));
        assert_eq!(check(&file, 4196), Ok(()));
        assert_eq!(check(&file, 4195), Err(Problem::SegmentPastEnd));
        assert_eq!(check(&file[..100], 4196), Err(Problem::HeadersCutOff));
        assert_eq!(check(b"not an ELF file", 15), Err(Problem::NotALibrary));
        assert_eq!(check(&file[..40], 4196), Err(Problem::NotALibrary));
    }

    proptest! {
        /// Arbitrary bytes after a valid ELF ident: the check answers, never panics.
        #[test]
        fn arbitrary_files_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..512), len in any::<u64>()) {
            let mut file = b"\x7fELF\x02\x01".to_vec();
            file.extend(tail);
            let _ = check(&file, len);
        }

        /// Arbitrary header fields and segments: the answer is the true end of the segments the
        /// head holds, or a refusal; never a panic or a wrapped sum.
        #[test]
        fn arbitrary_headers_answer_the_true_end(
            phoff in prop_oneof![0u64..256, any::<u64>(), (u64::MAX - 512)..=u64::MAX],
            phentsize in prop_oneof![Just(56u16), any::<u16>()],
            phnum in 0u16..8,
            segments in proptest::collection::vec((any::<u64>(), any::<u64>()), 0..8),
        ) {
            let mut file = header(phoff, phentsize, phnum);
            for (offset, size) in &segments {
                file.extend(load_segment(*offset, *size));
            }
            match loadable_end(&file) {
                Ok(end) => {
                    let expected = (0..u128::from(phnum))
                        .map(|i| u128::from(phoff) + i * u128::from(phentsize))
                        .filter(|at| file.get(*at as usize..*at as usize + 4) == Some(&PT_LOAD[..]))
                        .map(|at| {
                            let u = |d: u128| u128::from(u64_at(&file, (at + d) as usize).unwrap());
                            u(8) + u(32)
                        })
                        .max()
                        .unwrap_or(0);
                    prop_assert_eq!(u128::from(end), expected);
                }
                Err(p) => prop_assert!(matches!(p, Problem::HeadersCutOff | Problem::SegmentPastEnd)),
            }
        }
    }
}
