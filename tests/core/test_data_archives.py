"""The datasets that come as an archive or in another container (CIFAR-10's official tarball, caserec's
anime.zip, Keras's copy of MNIST, Shiller's table): converted to the zoo's files and checked, against a
host on 127.0.0.1 that serves their upstream layout (built here from small arrays and tables)."""

from __future__ import annotations

import hashlib
import io
import pickle
import tarfile
import zipfile

import numpy as np
import pytest

import zoo
from tests.core.test_data import _serve, upstream  # noqa: F401  (the fixture)
from zoo import cli
from zoo.datasets import catalog
from zoo.fetch import DownloadError

pytestmark = pytest.mark.skipif(
    __import__("keras").backend.backend() != "tensorflow", reason="no backend is involved: checked once"
)


def _npz_item(item: dict, **arrays) -> None:
    """Tell the catalogue entry the arrays its file must hold (its bytes will differ)."""
    out = io.BytesIO()
    np.savez(out, **arrays)
    path = io.BytesIO(out.getvalue())
    digest = hashlib.sha256()
    with np.load(path) as data:
        for key in sorted(data.files):
            digest.update(f"{key}:{data[key].dtype.str}:{data[key].shape};".encode() + data[key].tobytes())
    item.update(arrays_sha256=digest.hexdigest(), sha256="0" * 64, bytes=1)


def _toy_cifar(local: dict, n: int = 12) -> tuple[bytes, dict]:
    """(a cifar-10-python.tar.gz of n-image batches, the arrays each of the zoo's files must hold)."""
    rng = np.random.default_rng(0)
    expected, tar_bytes = {}, io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w:gz") as tar:
        for member in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            x = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
            y = rng.integers(0, 10, n).astype("uint8")
            planes = x.transpose(0, 3, 1, 2).reshape(n, 3072)  # the official layout: R, G, B planes
            blob = pickle.dumps({b"batch_label": member.encode(), b"labels": y.tolist(), b"data": planes})
            info = tarfile.TarInfo(f"cifar-10-batches-py/{member}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
            ours = "test_first1000.npz" if member == "test_batch" else f"train_{int(member[-1]) - 1}.npz"
            key = "test" if member == "test_batch" else "train"
            expected[ours] = {f"x_{key}": x, f"y_{key}": y.reshape(-1, 1)}
    data = tar_bytes.getvalue()
    for item in local["cifar10"]["files"]:
        _npz_item(item, **expected[item["name"]])
    for source in local["cifar10"]["sources"].values():
        source["sha256"] = hashlib.sha256(data).hexdigest()
    return data, expected


def test_one_download_of_the_cifar_archive_writes_all_six_files(upstream, tmp_path, capsys):  # noqa: F811
    served, faults, local = upstream
    data, expected = _toy_cifar(local)
    _serve(served, local["cifar10"]["sources"]["train_0.npz"]["url"], data)
    assert cli.main(["data", "download", "cifar10", "--dir", str(tmp_path / "d")]) == 0
    assert len(faults["requests"]) == 1 and "sha256 of its arrays verified" in capsys.readouterr().err
    x, y = zoo.datasets.load("cifar10", "test", data_dir=tmp_path / "d")
    np.testing.assert_array_equal(x, expected["test_first1000.npz"]["x_test"])
    np.testing.assert_array_equal(y, expected["test_first1000.npz"]["y_test"].reshape(-1))
    assert cli.main(["data", "verify", "cifar10", "--dir", str(tmp_path / "d")]) == 0
    assert not [p for p in (tmp_path / "d" / "cifar10").iterdir() if p.name.startswith(".")]


def test_the_cifar_loader_downloads_the_archive_once_into_the_cache(upstream, tmp_path):  # noqa: F811
    served, faults, local = upstream
    data, expected = _toy_cifar(local)
    _serve(served, local["cifar10"]["sources"]["train_0.npz"]["url"], data)
    x, _ = zoo.datasets.load("cifar10", "train")
    assert len(x) == 5 * 12 - 6 and len(faults["requests"]) == 1  # a tenth of a small set is held out
    np.testing.assert_array_equal(x[:12], expected["train_0.npz"]["x_train"])
    assert (tmp_path / "cache" / "datasets" / "cifar10" / "train_4.npz").is_file()


def test_a_changed_archive_is_refused_before_anything_is_unpickled(upstream, tmp_path):  # noqa: F811
    served, _, local = upstream
    data, _ = _toy_cifar(local)
    _serve(served, local["cifar10"]["sources"]["train_0.npz"]["url"], data[:-10] + b"0123456789")
    with pytest.raises(DownloadError, match="sha256"):
        catalog.fetch("cifar10", "train_0.npz", into=tmp_path / "d", progress=False)
    assert list((tmp_path / "d" / "cifar10").iterdir()) == []


def test_keras_copy_of_mnist_is_taken_for_its_arrays_and_another_refused(upstream, tmp_path):  # noqa: F811
    served, _, local = upstream
    rng = np.random.default_rng(1)
    arrays = {f"{k}_{split}": rng.integers(0, 256, (n, 28, 28) if k == "x" else n, dtype=np.uint8)
              for split, n in (("train", 6), ("test", 4)) for k in "xy"}  # fmt: skip
    (item,), source = local["mnist"]["files"], local["mnist"]["sources"]["mnist.npz"]
    _npz_item(item, **arrays)
    theirs = io.BytesIO()
    np.savez_compressed(theirs, **arrays)  # other bytes than the zoo's file, the same arrays
    source["sha256"] = hashlib.sha256(theirs.getvalue()).hexdigest()  # no size: as the catalogue
    _serve(served, source["url"], theirs.getvalue())
    x, y = zoo.datasets.load("mnist", "test")
    np.testing.assert_array_equal(x, arrays["x_test"])
    arrays["y_test"] = arrays["y_test"][::-1].copy()  # a host that serves other labels, with its own sha256
    other = io.BytesIO()
    np.savez(other, **arrays)
    source["sha256"] = hashlib.sha256(other.getvalue()).hexdigest()
    _serve(served, source["url"], other.getvalue())
    with pytest.raises(DownloadError, match="does not hold the arrays of mnist/mnist.npz"):
        catalog.fetch("mnist", "mnist.npz", into=tmp_path / "d", progress=False)
    assert list((tmp_path / "d" / "mnist").iterdir()) == []


ANIME_ZIP = {  # caserec's layout: tab-separated with a header, sorted by user only
    "anime/anime_ratings.dat": "User_ID\tAnime_ID\tFeedback\n2\t1\t9\n1\t2\t7\n1\t1\t10\n",
    "anime/anime_history.dat": "User_ID\tAnime_ID\tFeedback\n2\t1\t1\n1\t3\t1\n1\t2\t1\n1\t1\t1\n",
    "anime/anime_info.dat": (
        "anime_ids\tname\tgenre\ttype\tepisodes\trating\tmembers\n"
        "2\tGintama&#039;\tAction, Comedy\tTV\t51\t9.04\t151266\n"
        "1\tKimi no Na wa.\tDrama, Romance\tMovie\t1\t9.37\t200630\n3\tShort\tComedy\tOVA\t2\t6.5\t99\n"
    ),
}
ANIME_CSV = {
    "ratings.csv": "user_id,item_id,rating\n1,1,10\n1,2,7\n2,1,9\n",
    "interactions.csv": "user_id,item_id\n1,1\n1,2\n1,3\n2,1\n",
    "items.csv": (
        'item_id,name,genre,type,episodes,mal_avg_rating,members\n1,Kimi no Na wa.,"Drama, Romance",Movie,1,'
        '9.37,200630\n2,Gintama&#039;,"Action, Comedy",TV,51,9.04,151266\n3,Short,Comedy,OVA,2,6.5,99\n'
    ),
}


def _anime_zip(members: dict) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return out.getvalue()


def test_the_anime_zip_becomes_the_zoos_three_csv_files(upstream, tmp_path):  # noqa: F811
    served, faults, local = upstream
    for item in local["anime"]["files"]:
        data = ANIME_CSV[item["name"]].encode()
        item.update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    _serve(served, local["anime"]["sources"]["items.csv"]["url"], _anime_zip(ANIME_ZIP))
    assert len(catalog.download_all("anime", tmp_path / "d", log=lambda _: None, progress=False)) == 3
    assert len(faults["requests"]) == 1
    for name, text in ANIME_CSV.items():
        assert (tmp_path / "d" / "anime" / name).read_text() == text
    items = zoo.datasets.anime.load_items(data_dir=tmp_path / "d")
    assert items.names[1] == "Gintama'" and items.genres[0] == ("Drama", "Romance")


def test_an_anime_zip_of_another_layout_is_one_sentence(upstream, tmp_path):  # noqa: F811
    served, _, local = upstream
    url = local["anime"]["sources"]["items.csv"]["url"]
    for item in local["anime"]["files"]:  # the two good members convert to what the catalogue says
        data = ANIME_CSV[item["name"]].encode()
        item.update(bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    _serve(served, url, _anime_zip({**ANIME_ZIP, "anime/anime_info.dat": "id\tname\n1\tx\n"}))
    with pytest.raises(DownloadError, match="anime_info.dat's header is 'id\\\\tname', expected anime_ids"):
        catalog.fetch("anime", "items.csv", into=tmp_path / "d", progress=False)
    _serve(served, url, b"<html>not a zip</html>")
    with pytest.raises(DownloadError, match="is not the file expected \\(BadZipFile\\)"):
        catalog.fetch("anime", "items.csv", into=tmp_path / "d", progress=False)
    assert list((tmp_path / "d" / "anime").iterdir()) == []


def test_shillers_table_keeps_date_and_sp500_up_to_june_2023(upstream, tmp_path):  # noqa: F811
    served, _, local = upstream
    theirs = (
        "Date,SP500,Dividend,Earnings\n1871-01-01,4.44,0.26,0.4\n2023-06-01,4345.372857142857,,\n"
        "2023-07-01,4508.08,,\n"
    )
    ours = b"Date,Close\n1871-01-01,4.44\n2023-06-01,4345.372857142857\n"
    item = next(f for f in local["prices"]["files"] if f["name"] == "SP500_SHILLER_MONTHLY.csv")
    item.update(bytes=len(ours), sha256=hashlib.sha256(ours).hexdigest())
    _serve(served, local["prices"]["sources"]["SP500_SHILLER_MONTHLY.csv"]["url"], theirs.encode())
    path = catalog.fetch("prices", "SP500_SHILLER_MONTHLY.csv", into=tmp_path / "d", progress=False)
    assert path.read_bytes() == ours


def test_zoo_offline_refuses_any_host_but_this_machine(monkeypatch, tmp_path):
    monkeypatch.setenv("ZOO_OFFLINE", "1")
    with pytest.raises(DownloadError, match="ZOO_OFFLINE is set"):
        zoo.fetch.download("https://example.org/x.bin", tmp_path / "x.bin", None)
    monkeypatch.setenv("HF_ENDPOINT", "https://huggingface.co")
    with pytest.raises(DownloadError, match="ZOO_OFFLINE is set"):
        zoo.fetch.download("hf://org/repo/x.bin", tmp_path / "x.bin", None)
    assert not (tmp_path / "x.bin").exists()


def test_an_archive_with_one_wrong_file_writes_none_of_them(upstream, tmp_path):  # noqa: F811
    """The loaders look for the first file and read the rest beside it: all or nothing."""
    served, _, local = upstream
    data, _ = _toy_cifar(local)
    local["cifar10"]["files"][3]["arrays_sha256"] = "0" * 64  # train_3 will not match
    _serve(served, local["cifar10"]["sources"]["train_0.npz"]["url"], data)
    with pytest.raises(DownloadError, match="converted to train_3.npz"):
        catalog.fetch("cifar10", "train_0.npz", into=tmp_path / "d", progress=False)
    assert list((tmp_path / "d" / "cifar10").iterdir()) == []
