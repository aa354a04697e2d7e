"""Pools: the contract every pool keeps, each backend on real files, and bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autonlp_al import Example
from autonlp_al.errors import InputFileNotFoundError, PoolError
from autonlp_al.pools import JsonlPool, ListPool, Pool, take
from autonlp_al.types import wide_text_hash

TEXTS = [f"sentence {i} about Paris and Berlin" for i in range(2500)]


def write_parquet(path: Path, columns: dict[str, list], row_group_size: int = 700) -> Path:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(pa.table(columns), str(path), row_group_size=row_group_size)
    return path


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_dataset_folder(path: Path, texts: list[str]) -> Path:
    pa = pytest.importorskip("pyarrow")
    # what datasets' save_to_disk writes: Arrow IPC stream files listed in state.json
    path.mkdir()
    table = pa.table({"text": texts})
    with (
        pa.OSFile(str(path / "data-00000-of-00001.arrow"), "wb") as sink,
        pa.ipc.new_stream(sink, table.schema) as writer,
    ):
        for batch in table.to_batches(max_chunksize=1000):
            writer.write_batch(batch)
    (path / "state.json").write_text(
        json.dumps({"_data_files": [{"filename": "data-00000-of-00001.arrow"}]})
    )
    (path / "dataset_info.json").write_text("{}")
    return path


def make(kind: str, tmp_path: Path, texts: list[str] = TEXTS) -> Pool:
    if kind == "list":
        return ListPool([Example(text=t, id=wide_text_hash(t)) for t in texts])
    if kind == "jsonl":
        return JsonlPool(write_jsonl(tmp_path / "pool.jsonl", [{"text": t} for t in texts]))
    from autonlp_al.pools import DatasetFolderPool, ParquetPool

    if kind == "parquet":
        return ParquetPool(write_parquet(tmp_path / "pool.parquet", {"text": texts}))
    return DatasetFolderPool(write_dataset_folder(tmp_path / "ds", texts))


KINDS = ["list", "jsonl", "parquet", "hf_disk"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_pool_streams_every_row_in_order_with_the_same_ids(kind, tmp_path) -> None:
    pool = make(kind, tmp_path)
    assert isinstance(pool, Pool)
    batches = list(pool.batches(300))
    assert all(0 < len(b) <= 300 for b in batches)
    examples = [e for b in batches for e in b]
    assert [e.text for e in examples] == TEXTS
    assert [e.id for e in examples] == [wide_text_hash(t) for t in TEXTS]
    assert len(pool) == len(TEXTS)
    assert pool.fingerprint() == pool.fingerprint()
    wanted = [examples[5].id, examples[2400].id]
    assert set(take(pool, wanted)) == set(wanted)


@pytest.mark.parametrize("kind", ["jsonl", "parquet", "hf_disk"])
def test_a_pool_file_rewritten_gets_another_fingerprint(kind, tmp_path) -> None:
    pool = make(kind, tmp_path)
    before = pool.fingerprint()
    for path in pool.files:  # same size, other bytes, other time
        data = bytearray(path.read_bytes())
        data[-1] ^= 1
        path.write_bytes(bytes(data))
        os.utime(path, ns=(1, 1))
    assert pool.fingerprint() != before


def test_a_touched_file_alone_changes_the_fingerprint(tmp_path) -> None:
    pool = make("parquet", tmp_path)
    before = pool.fingerprint()
    (path,) = pool.files
    os.utime(path, ns=(10**18, 10**18))
    assert pool.fingerprint() != before


def test_an_id_column_gives_the_rows_their_own_stable_ids(tmp_path) -> None:
    from autonlp_al.pools import ParquetPool

    path = write_parquet(tmp_path / "p.parquet", {"text": TEXTS[:10], "key": list(range(10, 20))})
    pool = ParquetPool(path, id_column="key")
    assert [e.id for b in pool.batches() for e in b] == list(range(10, 20))
    jsonl = JsonlPool(
        write_jsonl(
            tmp_path / "p.jsonl", [{"t": t, "k": 2**80 + i} for i, t in enumerate(TEXTS[:3])]
        ),
        text="t",
        id_column="k",
    )
    assert [e.id for b in jsonl.batches() for e in b] == [2**80, 2**80 + 1, 2**80 + 2]


def test_a_bad_id_is_an_error_naming_the_row(tmp_path) -> None:
    path = write_jsonl(tmp_path / "p.jsonl", [{"text": "a b", "k": 1}, {"text": "c d", "k": "x"}])
    with pytest.raises(PoolError, match=r"p\.jsonl:2: id 'x' is not a non-negative integer"):
        list(JsonlPool(path, id_column="k").batches())


def test_rows_without_text_are_skipped_and_counted_with_their_line(tmp_path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(
        '{"text": "fine text"}\n{"text": ""}\n{bad\n[1]\n{"other": 1}\n\n{"text": "x"}\n'
    )
    pool = JsonlPool(path)
    examples = [e for b in pool.batches() for e in b]
    assert [e.text for e in examples] == ["fine text", "x"]
    assert pool.report.skipped == {"no text": 2, "bad json": 1, "not an object": 1}
    assert [str(i.origin) for i in pool.report.issues if i.reason == "bad json"] == [f"{path}:3"]
    assert pool.report.counts["read"] == 2


def test_a_truncated_parquet_file_is_a_pool_error_naming_it(tmp_path) -> None:
    from autonlp_al.pools import ParquetPool

    path = write_parquet(tmp_path / "p.parquet", {"text": TEXTS})
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    pool = ParquetPool(path)
    with pytest.raises(PoolError, match=r"p\.parquet: not a readable parquet file .*truncated"):
        list(pool.batches())
    with pytest.raises(PoolError, match="not a readable parquet file"):
        len(pool)


def test_a_missing_pool_or_column_says_what_to_do(tmp_path) -> None:
    from autonlp_al.pools import DatasetFolderPool, ParquetPool

    with pytest.raises(InputFileNotFoundError, match="no such parquet file"):
        ParquetPool(tmp_path / "nope.parquet")
    (tmp_path / "empty").mkdir()
    with pytest.raises(PoolError, match=r"a folder with no \.parquet file"):
        ParquetPool(tmp_path / "empty")
    path = write_parquet(tmp_path / "p.parquet", {"sentence": TEXTS[:3]})
    with pytest.raises(PoolError, match=r"no column 'text'; the columns are \['sentence'\]"):
        list(ParquetPool(path).batches())
    assert [e.text for b in ParquetPool(path, text="sentence").batches() for e in b] == TEXTS[:3]
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "dataset_info.json").write_text("{}")
    (tmp_path / "plain" / "dataset_dict.json").write_text("{}")
    with pytest.raises(PoolError, match="without split 'train'"):
        DatasetFolderPool(tmp_path / "plain")


def test_a_pool_file_deleted_later_is_named(tmp_path) -> None:
    pool = make("parquet", tmp_path)
    pool.files[0].unlink()
    with pytest.raises(InputFileNotFoundError, match="a pool file is gone"):
        pool.fingerprint()


def test_a_datasets_dict_folder_is_read_by_split(tmp_path) -> None:
    datasets = pytest.importorskip("datasets")
    from autonlp_al.pools import DatasetFolderPool

    datasets.DatasetDict(
        {
            "train": datasets.Dataset.from_dict({"text": TEXTS[:5]}),
            "test": datasets.Dataset.from_dict({"text": TEXTS[5:7]}),
        }
    ).save_to_disk(str(tmp_path / "dd"))
    assert len(DatasetFolderPool(tmp_path / "dd")) == 5
    assert [
        e.text for b in DatasetFolderPool(tmp_path / "dd", split="test").batches() for e in b
    ] == TEXTS[5:7]
    with pytest.raises(PoolError, match=r"without split 'dev'; its splits are \['test', 'train'\]"):
        DatasetFolderPool(tmp_path / "dd", split="dev")


def test_the_registry_builds_pools_by_name(tmp_path) -> None:
    from autonlp_al import registry

    assert {"jsonl", "parquet", "hf_disk"} <= set(registry.short_names("pools"))
    path = write_jsonl(tmp_path / "p.jsonl", [{"text": "a b"}])
    assert len(registry.get("pools", "jsonl")(path=str(path))) == 1


text_values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "   ", "\ud83d", "a\ud800b", "ok text"]),
    st.none(),
    st.integers(),
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(text_values, max_size=40))
def test_no_row_of_a_jsonl_pool_is_lost_or_crashes(tmp_path_factory, values) -> None:
    path = tmp_path_factory.mktemp("pool") / "p.jsonl"
    with path.open("w", encoding="utf-8", errors="surrogatepass") as f:
        for value in values:
            f.write(json.dumps({"text": value}) + "\n")
    pool = JsonlPool(path)
    examples = [e for b in pool.batches(7) for e in b]
    assert len(examples) + sum(pool.report.skipped.values()) == len(values)
    assert all(e.text.strip() for e in examples)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.one_of(st.text(max_size=30), st.none()), max_size=40))
def test_no_row_of_a_parquet_pool_is_lost_or_crashes(tmp_path_factory, values) -> None:
    pytest.importorskip("pyarrow")
    from autonlp_al.pools import ParquetPool

    path = write_parquet(
        tmp_path_factory.mktemp("pool") / "p.parquet", {"text": values or [None]}, 5
    )
    pool = ParquetPool(path)
    examples = [e for b in pool.batches(3) for e in b]
    assert len(examples) + sum(pool.report.skipped.values()) == len(values or [None])
    assert [e.id for e in examples] == [wide_text_hash(e.text) for e in examples]


def test_reading_a_parquet_pool_does_not_hold_the_file_in_memory(tmp_path) -> None:
    pa = pytest.importorskip("pyarrow")
    import random

    from autonlp_al.pools import ParquetPool

    rng = random.Random(0)  # random letters: the file does not compress away
    texts = ["".join(rng.choices("abcdefghij klmnop", k=60)) for _ in range(300_000)]
    path = write_parquet(tmp_path / "p.parquet", {"text": texts}, 10_000)
    held = 0
    for _ in ParquetPool(path).batches(1000):
        held = max(held, pa.total_allocated_bytes())
    # pyarrow's default pre-buffering held the file's bytes as it read them (18 MB here; 250
    # MB more at the end of a 10M-sentence pool): reading must hold a row group, not the file
    assert held < path.stat().st_size / 4
