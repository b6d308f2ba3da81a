"""Daily OHLC prices: 23 large US stocks and 3 ETFs ($ZOO_DATA_DIR/prices/, `zoo data list` names its source),
or any CSV with the header Date,Open,High,Low,Close[,Volume].

Files: <TICKER>.csv, dates ascending, split- and dividend-adjusted prices. The bundled sample
(zoo/samples/prices_sample.npz) holds the last 1,000 trading days of SPY and IBM (2013-11 to 2017-11).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zoo.datasets._lookup import local_file, online
from zoo.datasets.samples import SAMPLES_DIR

NAME = "prices"
SAMPLE = SAMPLES_DIR / "prices_sample.npz"
TICKERS = (
    "AA", "AAPL", "BA", "CAT", "CVX", "DIS", "F", "GE", "HPQ", "IBM", "INTC", "JNJ", "JPM", "KO", "MCD",
    "MMM", "MRK", "MSFT", "PFE", "PG", "T", "WMT", "XOM", "DIA", "QQQ", "SPY",
)  # fmt: skip
SAMPLE_TICKERS = ("SPY", "IBM")
COLUMNS = ("Date", "Open", "High", "Low", "Close")


@dataclass(frozen=True)
class Prices:
    """One asset's daily bars; every array has one entry per trading day, dates ascending."""

    name: str
    dates: np.ndarray  # datetime64[D]
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray

    def __len__(self) -> int:
        return len(self.dates)

    def until(self, last_date) -> Prices:
        """The bars up to and including `last_date` (what was known at its close)."""
        keep = self.dates <= np.datetime64(last_date, "D")
        return Prices(self.name, *(getattr(self, f)[keep] for f in ("dates", "open", "high", "low", "close")))


def read_csv(path, name: str | None = None) -> Prices:
    """Validated bars from a CSV file; a bad file raises ValueError naming the line that is wrong."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no such CSV file: {path}.")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:  # -sig: spreadsheets start with a BOM
            rows = list(csv.reader(handle))
    except UnicodeDecodeError:
        raise ValueError(
            f"{path} is not a UTF-8 text CSV (a binary file?); expected Date,Open,High,Low,Close rows."
        ) from None
    except csv.Error as exc:  # a field over csv's size limit, a NUL byte, ...
        raise ValueError(
            f"{path} is not a readable CSV ({exc}); expected Date,Open,High,Low,Close rows."
        ) from None
    if not rows:
        raise ValueError(f"{path} is empty; expected the header Date,Open,High,Low,Close[,Volume].")
    header = [column.strip() for column in rows[0]]
    absent = [column for column in COLUMNS if column not in header]
    if absent:
        raise ValueError(
            f"{path} has no column {', '.join(absent)} (header: {','.join(header)}); "
            "expected Date,Open,High,Low,Close[,Volume]."
        )
    where = [header.index(column) for column in COLUMNS]
    dates, bars = [], []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            date = np.datetime64(row[where[0]].strip(), "D")
            values = [float(row[i]) for i in where[1:]]
        except (ValueError, IndexError):
            raise ValueError(
                f"{path} line {line}: cannot read {','.join(row)!r}; "
                "expected a YYYY-MM-DD date and four prices."
            ) from None
        if not all(np.isfinite(values)) or min(values) <= 0:
            raise ValueError(f"{path} line {line} ({date}): prices must be positive numbers, got {values}.")
        open_, high, low, close = values
        if high < low or not (low <= open_ <= high and low <= close <= high):
            raise ValueError(
                f"{path} line {line} ({date}): need Low <= Open, Close <= High, got "
                f"Open {open_}, High {high}, Low {low}, Close {close}."
            )
        if dates and date <= dates[-1]:
            problem = "repeats the date before it" if date == dates[-1] else f"comes after {dates[-1]}"
            raise ValueError(
                f"{path} line {line}: date {date} {problem}; dates must be unique and ascending."
            )
        dates.append(date)
        bars.append(values)
    if len(dates) < 2:
        raise ValueError(f"{path} has {len(dates)} rows of prices; at least 2 are needed.")
    columns = np.asarray(bars, "float64").T
    if np.all(columns == columns[:, :1]):
        raise ValueError(
            f"{path}: every price is {columns[0, 0]:g}; a series that never moves has no volatility."
        )
    return Prices(name or path.stem, np.asarray(dates, "datetime64[D]"), *columns)


def load(ticker: str, data_dir=None, sample: bool = False) -> Prices:
    """An asset's bars from data_dir / $ZOO_DATA_DIR/prices/<TICKER>.csv, or from the bundled sample."""
    ticker = ticker.upper()
    if sample:
        if ticker not in SAMPLE_TICKERS:
            raise ValueError(f"the bundled sample has {', '.join(SAMPLE_TICKERS)}, not {ticker!r}.")
        with np.load(SAMPLE) as data:
            return Prices(ticker, data[f"{ticker}_dates"], *data[f"{ticker}_ohlc"].T)
    if ticker not in TICKERS and local_file(NAME, f"{ticker}.csv", data_dir) is None:
        raise ValueError(f"unknown ticker {ticker!r}; the panel has {', '.join(TICKERS)} (or pass a CSV).")
    path = local_file(NAME, f"{ticker}.csv", data_dir) or online(NAME, f"{ticker}.csv")
    return read_csv(path, ticker)


def load_panel(data_dir=None, sample: bool = False) -> list[Prices]:
    """Every asset of the panel (the 26 tickers; the sample's two)."""
    return [load(t, data_dir, sample) for t in (SAMPLE_TICKERS if sample else TICKERS)]
