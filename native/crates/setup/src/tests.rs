use std::path::PathBuf;

use super::*;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..")
}

fn dev_beacon() -> ZkeyBeacon {
    ZkeyBeacon {
        hash: (0..32)
            .map(|i| {
                u8::from_str_radix(
                    &"2fd64545c81f6355e78f6c9918aa6600f4a20f615e0f222783fd51d38d9b684c"[i * 2..i * 2 + 2],
                    16,
                )
                .unwrap()
            })
            .collect(),
        iterations_exp: 10,
        name: "verilay development beacon".into(),
    }
}

/// Byte equality with snarkjs on the builds in the local caches (when present): set
/// VERILAY_SETUP_COMPARE=<dir with circuit.r1cs and circuit.zkey> and VERILAY_SETUP_PTAU.
#[test]
fn matches_a_snarkjs_key_when_one_is_given() {
    let (Ok(dir), Ok(ptau)) = (std::env::var("VERILAY_SETUP_COMPARE"), std::env::var("VERILAY_SETUP_PTAU"))
    else {
        return;
    };
    let dir = PathBuf::from(dir);
    let out = std::env::temp_dir().join(format!("verilay-setup-{}.zkey", std::process::id()));
    let start = std::time::Instant::now();
    // VERILAY_SETUP_OVERREAD: hex of the past-the-section H hash point, when the case needs it.
    let overread: Option<[u8; 64]> = std::env::var("VERILAY_SETUP_OVERREAD").ok().map(|h| {
        (0..64)
            .map(|i| u8::from_str_radix(&h[i * 2..i * 2 + 2], 16).unwrap())
            .collect::<Vec<_>>()
            .try_into()
            .unwrap()
    });
    write_zkey(
        &dir.join("circuit.r1cs"),
        &PathBuf::from(ptau),
        &out,
        &dev_beacon(),
        overread.as_ref(),
        &mut |p| eprintln!("{:?} {:?}", start.elapsed(), p),
    )
    .unwrap();
    eprintln!("total {:?}", start.elapsed());
    let ours = std::fs::read(&out).unwrap();
    let theirs = std::fs::read(dir.join("circuit.zkey")).unwrap();
    std::fs::remove_file(&out).unwrap();
    assert_eq!(ours.len(), theirs.len(), "length");
    if let Some(at) = ours.iter().zip(&theirs).position(|(a, b)| a != b) {
        panic!("first difference at byte {at}");
    }
}

#[test]
fn a_missing_file_is_an_io_error() {
    let err = write_zkey(
        &repo().join("nope.r1cs"),
        &repo().join("nope.ptau"),
        &repo().join("x.zkey"),
        &dev_beacon(),
        None,
        &mut |_| {},
    );
    assert!(matches!(err, Err(SetupError::Io(_))), "{err:?}");
}
