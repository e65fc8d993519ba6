//! Provider model names normalized to Anthropic ids, and the --map-model table.

use super::*;

#[test]
fn provider_names_normalize_to_anthropic_ids() {
    let cases = [
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5-20250929"),
        ("claude-sonnet-4-5", "claude-sonnet-4-5"),
        ("anthropic/claude-sonnet-4-5", "claude-sonnet-4-5"),
        ("  Anthropic/Claude-Haiku-4-5 ", "claude-haiku-4-5"),
        ("bedrock/anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku-20240307"),
        ("us.anthropic.claude-3-7-sonnet-20250219-v1:0", "claude-3-7-sonnet-20250219"),
        ("eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5-20250929"),
        ("apac.anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet-20241022"),
        ("global.anthropic.claude-opus-4-5-20251101-v1:0", "claude-opus-4-5-20251101"),
        ("us-gov.anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku-20240307"),
        ("anthropic.claude-opus-4-6-v1", "claude-opus-4-6"),
        ("anthropic.claude-3-sonnet-20240229-v1:0:28k", "claude-3-sonnet-20240229"),
        ("bedrock/converse/us.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4-20250514"),
        (
            "arn:aws:bedrock:us-west-2:1234567890123:inference-profile/us.anthropic.claude-3-7-sonnet-20250219-v1:0",
            "claude-3-7-sonnet-20250219",
        ),
        (
            "bedrock/arn:aws:bedrock:us-west-2:1234567890123:inference-profile/us.anthropic.claude-3-7-sonnet-20250219-v1:0",
            "claude-3-7-sonnet-20250219",
        ),
        ("vertex_ai/claude-3-7-sonnet@20250219", "claude-3-7-sonnet-20250219"),
        ("claude-opus-4-1@20250805", "claude-opus-4-1-20250805"),
        ("vertex_ai/claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet-20241022"),
        (
            "projects/p/locations/us-east5/publishers/anthropic/models/claude-haiku-4-5@20251001",
            "claude-haiku-4-5-20251001",
        ),
        ("claude-3-5-haiku@latest", "claude-3-5-haiku"),
        ("us.claude-sonnet-4-5", "claude-sonnet-4-5"),
        // Not Claude: only trimmed, lowercased and stripped of the path.
        ("gpt-4o", "gpt-4o"),
        ("openai/gpt-4o", "gpt-4o"),
        ("", ""),
        ("-v1", "-v1"),
    ];
    for (raw, want) in cases {
        assert_eq!(normalize(raw), want, "{raw:?}");
        assert_eq!(normalize(want), want, "idempotent on {want:?}");
    }
}

#[test]
fn only_a_real_version_suffix_is_stripped() {
    assert_eq!(normalize("claude-sonnet-4-5-vx"), "claude-sonnet-4-5-vx");
    assert_eq!(
        normalize("claude-sonnet-4-5-v1:a"),
        "claude-sonnet-4-5-v1:a"
    );
    assert_eq!(
        normalize("claude-sonnet-4-5-v1:0:2:3"),
        "claude-sonnet-4-5-v1:0:2:3"
    );
    assert_eq!(normalize("claude-x@preview"), "claude-x@preview");
}

#[test]
fn claude_or_not() {
    assert!(is_claude("claude-sonnet-4-5"));
    assert!(!is_claude("gpt-4o"));
    assert!(!is_claude(""));
}

#[test]
fn the_map_applies_before_normalization() {
    let map = ModelMap::from_pairs([
        "gpt-4o=claude-haiku-4-5",
        " my-alias = anthropic/claude-opus-4-1 ",
    ])
    .unwrap();
    assert_eq!(map.len(), 2);
    assert_eq!(
        resolve("gpt-4o", &map),
        Resolution::Mapped("claude-haiku-4-5".into())
    );
    // A FROM also matches names that normalize alike.
    assert_eq!(
        resolve("openai/gpt-4o", &map),
        Resolution::Mapped("claude-haiku-4-5".into())
    );
    assert_eq!(
        resolve("my-alias", &map),
        Resolution::Mapped("claude-opus-4-1".into())
    );
    assert_eq!(
        resolve("us.anthropic.claude-3-haiku-20240307-v1:0", &map),
        Resolution::Claude("claude-3-haiku-20240307".into())
    );
    assert_eq!(
        resolve("gpt-4.1", &map),
        Resolution::Other("gpt-4.1".into())
    );
    assert_eq!(resolve("gpt-4.1", &map).model(), None);
    assert_eq!(resolve("gpt-4o", &map).model(), Some("claude-haiku-4-5"));
}

#[test]
fn a_claude_name_can_be_remapped() {
    let map = ModelMap::from_pairs(["claude-3-opus-20240229=claude-opus-4-1"]).unwrap();
    assert_eq!(
        resolve("bedrock/anthropic.claude-3-opus-20240229-v1:0", &map),
        Resolution::Mapped("claude-opus-4-1".into())
    );
}

#[test]
fn bad_pairs_are_option_errors() {
    let msg = |pair: &str| ModelMap::from_pairs([pair]).unwrap_err().to_string();
    assert!(
        msg("gpt-4o").starts_with("map-model: \"gpt-4o\" is not FROM=TO"),
        "{}",
        msg("gpt-4o")
    );
    assert!(msg("=claude-haiku-4-5").contains("must be non-empty"));
    assert!(msg("gpt-4o= ").contains("must be non-empty"));
    let twice = ModelMap::from_pairs(["a=claude-haiku-4-5", "a=claude-opus-4-1"]).unwrap_err();
    assert!(twice.to_string().contains("mapped twice"), "{twice}");
    let alike =
        ModelMap::from_pairs(["openai/a=claude-haiku-4-5", "a=claude-opus-4-1"]).unwrap_err();
    assert!(alike.to_string().contains("mapped twice"), "{alike}");
    // The same pair twice is fine.
    assert!(ModelMap::from_pairs(["a=claude-haiku-4-5", "a=claude-haiku-4-5"]).is_ok());
    // A target may contain '=' (split at the first one).
    let map = ModelMap::from_pairs(["a=b=c"]).unwrap();
    assert_eq!(map.get("a"), Some("b=c"));
    assert!(ModelMap::new().is_empty());
}
