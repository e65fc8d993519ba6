//! Each corpus file's BLAKE3 digest (as `b3sum FILE` prints it), hashed where the lines are
//! parsed rather than on the thread that reads the file.
//!
//! BLAKE3 is a tree hash: an input split into blocks of a power-of-two number of its 1 KiB
//! chunks, each block at its own offset, hashes block by block in any order, and the blocks'
//! chaining values merge into the root as the tree's shape dictates ([`blake3::hazmat`]). The
//! reader reads a plain file in whole blocks of [`BLOCK_BYTES`], so each [`crate::Chunk`] holds
//! whole blocks of it: the pool hashes them in [`crate::Chunk::digest_part`], and [`Digests`]
//! merges the parts once every chunk has been read. On the bench corpus this moved a tenth of a
//! baseline replay's CPU (BLAKE3 over 2.87 GB) off the reader thread, which every chunk waits on.
//! A zstd file's digest is of its compressed bytes, which the reader hashes as it reads them
//! (a twenty-fourth of the text on the bench corpus).

use blake3::hazmat::{left_subtree_len, Mode};
use blake3::hazmat::{merge_subtrees_non_root, merge_subtrees_root, ChainingValue, HasherExt};

/// The blocks a plain file is read and hashed in: the chunk size, a power of two of BLAKE3
/// chunks, so that every block is a subtree of the file's hash tree.
pub(crate) const BLOCK_BYTES: usize = crate::CHUNK_BYTES;

const _: () = assert!(
    BLOCK_BYTES.is_power_of_two() && BLOCK_BYTES >= blake3::CHUNK_LEN,
    "a block must be a power of two of BLAKE3 chunks"
);

/// The chaining values of consecutive whole blocks of one file (the file's last block may be
/// short), from one chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestPart {
    file: u32,
    first_block: u64,
    cvs: Vec<ChainingValue>,
    /// For the part that starts the file: the file's digest should that block be all of it
    /// (a root is hashed differently from a subtree).
    alone: Option<blake3::Hash>,
}

/// Hashes `bytes`, which start `offset` bytes into file `file`, as blocks of `block` bytes.
/// `offset` is a multiple of `block`, and so is the length of `bytes` unless they end the file.
pub(crate) fn hash_blocks(file: u32, offset: u64, bytes: &[u8], block: usize) -> DigestPart {
    debug_assert!(offset.is_multiple_of(block as u64));
    let mut alone = None;
    let cvs = bytes
        .chunks(block)
        .enumerate()
        .map(|(i, b)| {
            let at = offset + (i * block) as u64;
            let mut h = blake3::Hasher::new();
            h.set_input_offset(at);
            h.update(b);
            if at == 0 {
                alone = Some(h.finalize());
            }
            h.finalize_non_root()
        })
        .collect();
    DigestPart {
        file,
        first_block: offset / block as u64,
        cvs,
        alone,
    }
}

/// How one file's digest is being computed.
#[derive(Debug, Clone)]
enum FileDigest {
    /// Hashed by the reader as it read the file (zstd: the compressed bytes).
    Read(blake3::Hash),
    /// Hashed in parts: each block's chaining value, as the parts arrive.
    Blocks {
        len: u64,
        cvs: Vec<Option<ChainingValue>>,
        alone: Option<blake3::Hash>,
    },
}

/// Every file's digest once the reader has read them all and every chunk's part has been
/// added; from [`crate::ChunkReader::digests`].
#[derive(Debug, Clone, Default)]
pub struct Digests {
    files: Vec<FileDigest>,
    block: usize,
}

impl Digests {
    pub(crate) fn new(block: usize) -> Digests {
        Digests {
            files: Vec::new(),
            block,
        }
    }

    /// A file the reader hashed itself.
    pub(crate) fn push_read(&mut self, hash: blake3::Hash) {
        self.files.push(FileDigest::Read(hash));
    }

    /// A file of `len` bytes whose blocks the chunks hash ([`Digests::add`]).
    pub(crate) fn push_blocks(&mut self, len: u64) {
        let blocks = len.div_ceil(self.block as u64);
        self.files.push(FileDigest::Blocks {
            len,
            cvs: vec![None; usize::try_from(blocks).expect("blocks fit in memory")],
            alone: None,
        });
    }

    /// Adds one chunk's part, in any order.
    pub fn add(&mut self, part: DigestPart) {
        let Some(FileDigest::Blocks { cvs, alone, .. }) = self.files.get_mut(part.file as usize)
        else {
            panic!(
                "a digest part of file {}, which is not read in blocks",
                part.file
            );
        };
        for (i, cv) in part.cvs.into_iter().enumerate() {
            let slot = cvs
                .get_mut(part.first_block as usize + i)
                .expect("a part's blocks lie inside its file");
            assert!(slot.is_none(), "a block hashed twice");
            *slot = Some(cv);
        }
        if part.alone.is_some() {
            *alone = part.alone;
        }
    }

    /// Each file's digest as lowercase hex, in source order; empty when nothing was hashed.
    ///
    /// # Panics
    /// When a chunk's part was not added: the digest would be of bytes that were not hashed.
    pub fn finish(self) -> Vec<String> {
        let block = self.block as u64;
        self.files
            .into_iter()
            .map(|f| match f {
                FileDigest::Read(h) => h,
                FileDigest::Blocks { len, cvs, alone } => {
                    let cvs: Vec<ChainingValue> = cvs
                        .into_iter()
                        .map(|c| c.expect("every chunk's digest part is added"))
                        .collect();
                    match cvs.len() {
                        0 => blake3::hash(b""),
                        1 => alone.expect("the first block's part carries its root"),
                        _ => root(&cvs, len, block),
                    }
                }
            })
            .map(|h| h.to_hex().to_string())
            .collect()
    }
}

/// The root of an input of `len` bytes (more than one block) from its blocks' chaining values:
/// BLAKE3's left subtree is the largest power of two of chunks that leaves the right one
/// non-empty, which for more than one block is a whole number of blocks.
fn root(cvs: &[ChainingValue], len: u64, block: u64) -> blake3::Hash {
    fn subtree(cvs: &[ChainingValue], len: u64, block: u64) -> ChainingValue {
        if cvs.len() == 1 {
            return cvs[0];
        }
        let (l, r) = split(cvs, len, block);
        merge_subtrees_non_root(&l, &r, Mode::Hash)
    }
    fn split(cvs: &[ChainingValue], len: u64, block: u64) -> (ChainingValue, ChainingValue) {
        let left = left_subtree_len(len);
        let k = (left / block) as usize;
        (
            subtree(&cvs[..k], left, block),
            subtree(&cvs[k..], len - left, block),
        )
    }
    let (l, r) = split(cvs, len, block);
    merge_subtrees_root(&l, &r, Mode::Hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(n: usize) -> Vec<u8> {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    /// Blocks hashed in parts of any size, added in any order, give `blake3::hash` of the
    /// whole, for lengths around every block boundary and trees of every shape up to 9 blocks.
    #[test]
    fn blocks_hashed_in_parts_merge_to_the_hash_of_the_whole() {
        for block in [1024, 4096] {
            let mut lens = vec![0, 1, 1023, 1024, 1025];
            for k in 1..=9 {
                lens.extend([k * block - 1, k * block, k * block + 1]);
            }
            lens.push(2 * block + 1024 + 7);
            for len in lens {
                let data = bytes(len);
                let want = blake3::hash(&data).to_hex().to_string();
                for per_part in [1, 2, 3] {
                    let step = per_part * block;
                    let mut parts: Vec<DigestPart> = (0..len.max(1))
                        .step_by(step)
                        .filter(|&at| at < len)
                        .map(|at| {
                            let end = (at + step).min(len);
                            hash_blocks(0, at as u64, &data[at..end], block)
                        })
                        .collect();
                    // The pool finishes chunks in any order.
                    parts.reverse();
                    let mut d = Digests::new(block);
                    d.push_blocks(len as u64);
                    for p in parts {
                        d.add(p);
                    }
                    assert_eq!(d.finish(), vec![want.clone()], "len {len}, block {block}");
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "every chunk's digest part is added")]
    fn a_missing_part_is_not_a_digest() {
        let data = bytes(3 * 1024);
        let mut d = Digests::new(1024);
        d.push_blocks(data.len() as u64);
        d.add(hash_blocks(0, 0, &data[..1024], 1024));
        d.add(hash_blocks(0, 2048, &data[2048..], 1024));
        d.finish();
    }

    #[test]
    fn files_read_whole_keep_their_place() {
        let a = bytes(5000);
        let mut d = Digests::new(1024);
        d.push_read(blake3::hash(b"zstd bytes"));
        d.push_blocks(a.len() as u64);
        d.add(hash_blocks(1, 0, &a, 1024));
        assert_eq!(
            d.finish(),
            vec![
                blake3::hash(b"zstd bytes").to_hex().to_string(),
                blake3::hash(&a).to_hex().to_string()
            ]
        );
    }
}
