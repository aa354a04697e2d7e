def test_texts_over_spacys_million_characters_are_tokenised() -> None:
    from autonlp_al.converters import SpacyTokenizer

    tokens = SpacyTokenizer("en")("word " * 210_000)  # 1,050,000 characters: E088 before
    assert len(tokens) == 210_000 and tokens[-1].end == 1_049_999
