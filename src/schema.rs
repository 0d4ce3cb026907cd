//! The JSON Schemas, embedded at build time from `schema/`, and their content hashes.

pub const INPUT: &str = include_str!("../schema/input.schema.json");
pub const OUTPUT: &str = include_str!("../schema/output.schema.json");
pub const SETTINGS: &str = include_str!("../schema/settings.schema.json");

/// FNV-1a, 64 bit: computed at compile time, enough to tell two schema texts apart.
pub const fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

pub const HASHES: [(&str, u64); 3] = [
    ("input", fnv1a64(INPUT.as_bytes())),
    ("output", fnv1a64(OUTPUT.as_bytes())),
    ("settings", fnv1a64(SETTINGS.as_bytes())),
];
