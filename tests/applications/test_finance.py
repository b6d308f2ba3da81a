"""Finance forecasting: price CSVs, targets, baselines by hand, GARCH recovery, the DM test, no
look-ahead, the backtest arithmetic, the shipped ts_transformer on held-out data, and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

import zoo
from applications.finance import backtest
from applications.finance.__main__ import main
from tests.conftest import full_data
from zoo.datasets import prices
from zoo.families.ts_transformer import baselines, metrics, volatility, walkforward

# `zoo eval ts_transformer --sample --json`: qlike_rv1 0.834785 on tensorflow, jax and torch (equal to 1e-8)
SAMPLE_QLIKE_RV1 = 0.834785
requires_prices = pytest.mark.skipif(
    not full_data("prices", "SPY.csv"), reason="the full price panel ($ZOO_DATA_DIR/prices/*.csv) not found"
)


@pytest.fixture(scope="module")
def spy():
    return prices.load("SPY", sample=True)


@pytest.fixture(scope="module")
def model():
    return zoo.load("ts_transformer")


def write_csv(path, rows, header="Date,Open,High,Low,Close,Volume"):
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


GOOD = ["2020-01-02,10,11,9,10.5,100", "2020-01-03,10.5,10.8,10.1,10.2,0", "2020-01-06,10.2,10.4,9.9,10.0,50"]


def test_csv_is_read_with_or_without_volume(tmp_path):
    bars = prices.read_csv(write_csv(tmp_path / "ABC.csv", GOOD))
    assert bars.name == "ABC" and len(bars) == 3 and bars.dates[-1] == np.datetime64("2020-01-06")
    np.testing.assert_array_equal(bars.close, [10.5, 10.2, 10.0])
    no_volume = [",".join(row.split(",")[:5]) for row in GOOD]
    assert len(prices.read_csv(write_csv(tmp_path / "b.csv", no_volume, "Date,Open,High,Low,Close"))) == 3
    with_bom = write_csv(tmp_path / "c.csv", GOOD, "\ufeffDate,Open,High,Low,Close,Volume")  # as Excel saves
    assert len(prices.read_csv(with_bom)) == 3


@pytest.mark.parametrize(
    "rows, header, needle",
    [
        (GOOD, "Date,Open,High,Close", "no column Low"),
        ([GOOD[0], GOOD[2], GOOD[1]], None, "line 4: date 2020-01-03 comes after 2020-01-06"),
        ([GOOD[0], GOOD[0].replace("10.5,100", "10.4,1")], None, "line 3: date 2020-01-02 repeats"),
        ([GOOD[0], "2020-01-03,10.5,10.8,0,10.2,0"], None, "line 3 (2020-01-03): prices must be positive"),
        ([GOOD[0], "2020-01-03,10.5,10.1,10.8,10.2,0"], None, "line 3 (2020-01-03): need Low <= Open"),
        ([GOOD[0], "2020-01-03,ten,10.8,10.1,10.2,0"], None, "line 3: cannot read"),
    ],
)
def test_bad_csv_names_the_row(tmp_path, rows, header, needle):
    path = write_csv(tmp_path / "bad.csv", rows, header or "Date,Open,High,Low,Close,Volume")
    with pytest.raises(ValueError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        prices.read_csv(path)


def test_daily_series_and_targets_by_hand():
    bars = prices.Prices(
        "X",
        np.arange("2020-01-01", "2020-01-08", dtype="datetime64[D]"),
        *np.array([[10, 11, 9, 10], [10, 12, 10, 11], [11, 11, 10, 10], [10, 10.5, 9.5, 10],
                   [10, 10, 10, 10], [10, 11, 10, 11], [11, 12, 11, 12]], "float64").T,
    )  # fmt: skip
    series = volatility.daily_series(bars)
    assert series[0, 0] == 0 and series[1, 0] == pytest.approx(100 * np.log(1.1), rel=1e-6)
    gk = 0.5 * np.log(12 / 10) ** 2 - (2 * np.log(2) - 1) * np.log(11 / 10) ** 2
    assert series[1, 1] == pytest.approx(1e4 * gk, rel=1e-5) and series[4, 1] == 0  # no range: 0
    y = volatility.targets(series)
    squared = series[:, 0].astype("float64") ** 2
    assert y[0, 0] == pytest.approx(squared[1]) and y[1, 1] == pytest.approx(squared[2:7].sum())
    assert y[0, 3] == pytest.approx(series[1:6, 1].sum(), rel=1e-6) and y[2, 4] == series[3, 0]
    assert np.isnan(y[2, 1]) and np.isnan(y[6, 0]) and not np.isnan(y[5, 0])  # the future is too short


def test_periods_are_purged_and_in_order():
    bars = prices.load("IBM", data_dir=None, sample=False) if full_data("prices", "IBM.csv") else None
    if bars is None:
        pytest.skip("needs the full IBM history")
    train, val, test = (volatility.period_dates(bars, p) for p in ("train", "val", "test"))
    # the last training target (5 days after its forecast date) ends days before the first validation
    # forecast is made, and likewise validation before test
    assert val.min() - (train.max() + 5) >= volatility.PURGE_DAYS - 5 > 0
    assert test.min() - (val.max() + 5) >= volatility.PURGE_DAYS - 5
    assert str(bars.dates[test.min()]) >= volatility.TEST_START


def test_naive_ewma_and_means_by_hand():
    proxy = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    t = np.array([4, 5])
    np.testing.assert_allclose(baselines.naive(proxy, t, 5), [5 * 3.0, 5 * 4.0])  # mean of the last 5 days
    level = np.mean(proxy[:20])  # the recursion's start
    for value in proxy[:5]:
        level = 0.94 * level + 0.06 * value
    assert baselines.ewma(proxy, np.array([4]), 1)[0] == pytest.approx(level)  # uses days 0..4
    returns = np.array([0.0, 1.0, -1.0, 3.0])
    np.testing.assert_allclose(baselines.historical_mean(returns, np.array([1, 3])), [1.0, 1.0])


def test_har_is_least_squares_on_daily_weekly_monthly_terms():
    rng = np.random.default_rng(0)
    proxy = rng.gamma(2.0, 0.5, size=600)
    t = np.arange(400, 421)  # one refit block at day 400
    rows = np.arange(21, 400)  # targets proxy[row + 1] known by the close of day 400
    coef, *_ = np.linalg.lstsq(baselines.har_design(proxy, rows), proxy[rows + 1], rcond=None)
    expected = baselines.har_design(proxy, t) @ coef
    assert (expected > proxy[rows + 1].min()).all()  # in range: the filter leaves them
    np.testing.assert_allclose(baselines.har(proxy, t, 1), expected)
    filtered = baselines.insanity_filter(np.array([-0.5, 1.0, 9.0]), seen=np.array([0.5, 1.5, 4.0]))
    np.testing.assert_allclose(filtered, [2.0, 1.0, 2.0])  # outside [0.5, 4]: the mean of what was seen
    week = baselines.har_design(proxy, np.array([30]))[0]
    np.testing.assert_allclose(week, [1, proxy[30], proxy[26:31].mean(), proxy[9:31].mean()])


def test_autoregression_recovers_an_ar1():
    rng = np.random.default_rng(1)
    returns = np.zeros(3000)
    for i in range(1, len(returns)):
        returns[i] = 0.1 + 0.3 * returns[i - 1] + rng.normal()
    t = np.arange(2500, 2999)
    forecast = baselines.autoregressive(returns, t, lags=1)
    np.testing.assert_allclose(forecast, 0.1 + 0.3 * returns[t], atol=0.08)


def simulate_garch(omega, alpha, beta, n, seed=0):
    rng = np.random.default_rng(seed)
    variance, returns = np.empty(n + 1), np.empty(n)
    variance[0] = omega / (1 - alpha - beta)
    for i in range(n):
        returns[i] = np.sqrt(variance[i]) * rng.standard_normal()
        variance[i + 1] = omega + alpha * returns[i] ** 2 + beta * variance[i]
    return returns, variance  # variance[i + 1]: the true variance of day i + 1, known at the close of day i


def test_garch_recovers_simulated_parameters_and_forecasts_the_true_variance():
    from arch import arch_model

    returns, variance = simulate_garch(0.05, 0.08, 0.90, 6000)
    fitted = arch_model(returns, mean="Constant", vol="GARCH", p=1, q=1).fit(disp="off").params
    assert fitted["alpha[1]"] == pytest.approx(0.08, abs=0.03) and fitted["beta[1]"] == pytest.approx(
        0.90, abs=0.04
    )
    t = np.arange(3000, 3300)
    forecast = baselines.garch(returns, t)
    # the walk-forward one-day forecast tracks the true next-day variance (refits on 2,520 past days)
    assert np.median(np.abs(forecast["rv", 1] / variance[t + 1] - 1)) < 0.1
    expected_5 = sum(0.05 * sum(0.98**j for j in range(k)) + 0.98**k * variance[t + 1] for k in range(5))
    assert np.median(np.abs(forecast["rv", 5] / expected_5 - 1)) < 0.1


def test_diebold_mariano_matches_statsmodels_hac_and_detects_a_better_model():
    import statsmodels.api as sm

    rng = np.random.default_rng(0)
    a, b = rng.gamma(2, 1, 500), rng.gamma(2, 1, 500)
    result = metrics.diebold_mariano(a, b, horizon=5)
    lags = max(4, metrics.newey_west_lags(500))
    ols = sm.OLS(a - b, np.ones(500)).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": False})
    assert result["statistic"] == pytest.approx(float(ols.tvalues[0]), rel=1e-9)
    # equally good forecasts: the 5% test rejects about 5% of the time
    p_values = [metrics.diebold_mariano(*rng.gamma(2, 1, (2, 200)))["p_value"] for _ in range(300)]
    assert 0.02 <= np.mean(np.array(p_values) < 0.05) <= 0.09
    better = metrics.diebold_mariano(b - 0.3, b)
    assert better["mean_difference"] == pytest.approx(-0.3)
    with pytest.raises(ValueError, match="at least 10"):
        metrics.diebold_mariano(a[:5], b[:5])


def test_direction_and_information_coefficient_by_hand():
    realized = np.array([1.0, -1.0, 2.0, -2.0, 0.0])
    result = metrics.direction(realized, np.array([1.0, 1.0, 1.0, -1.0, 1.0]))
    assert result["accuracy"] == 0.75 and result["n"] == 4 and result["p_value"] == pytest.approx(0.625)
    assert metrics.direction(realized, np.zeros(5))["accuracy"] is None
    assert metrics.information_coefficient(realized, realized * 3) == pytest.approx(1.0)
    assert metrics.information_coefficient(realized, np.zeros(5)) is None


def test_vol_targeting_positions_costs_and_performance_by_hand():
    exposure = backtest.positions(np.array([1.0, 4.0, 0.01]), target_vol=0.1587, max_leverage=2)
    np.testing.assert_allclose(exposure, [0.1587 / 0.1587, 0.5, 2.0], rtol=1e-3)  # 1 %^2/day = 15.87%/yr
    daily = backtest.strategy_returns(np.array([0.01, -0.02]), np.array([1.0, 0.5]), cost_bps=10)
    np.testing.assert_allclose(daily, [0.01 - 0.001, -0.01 - 0.0005])
    perf = backtest.performance(np.array([0.1, -0.5, 0.2]))
    assert perf["max_drawdown"] == pytest.approx(-0.5) and perf["final_wealth"] == pytest.approx(
        1.1 * 0.5 * 1.2
    )
    with pytest.raises(ValueError, match="target vol"):
        backtest.positions(np.ones(2), target_vol=15, max_leverage=2)


def test_shuffling_the_future_does_not_change_past_forecasts(spy, model):
    """Every model's forecasts up to a cut date are identical when everything after it is scrambled."""
    cut = len(spy) - 200
    t = np.arange(volatility.HISTORY + 30, cut + 1)
    order = np.r_[np.arange(cut + 1), cut + 1 + np.random.default_rng(0).permutation(len(spy) - cut - 1)]
    scrambled = prices.Prices(
        spy.name, spy.dates, *(getattr(spy, f)[order] for f in ("open", "high", "low", "close"))
    )
    assert not np.array_equal(scrambled.close, spy.close)
    before, after = walkforward.forecast_all(spy, model, t), walkforward.forecast_all(scrambled, model, t)
    for key in before[0]:
        np.testing.assert_array_equal(before[0][key], after[0][key], err_msg=str(key))
    for key in before[1]:
        np.testing.assert_array_equal(before[1][key], after[1][key], err_msg=str(key))


def test_shipped_model_on_the_held_out_sample(model, backend_name):
    """SPY and IBM, forecasts from 2014-11 to 2017-11 (all after the weights' training data ends)."""
    label, n, measured = volatility.score_heldout(model, sample=True)
    assert label.startswith("test-sample") and n == 2 * (1000 - volatility.HISTORY + 1 - 5)
    assert measured["qlike_rv1"] < SAMPLE_QLIKE_RV1 + 0.001
    untrained = volatility.score_heldout(zoo.load("ts_transformer", weights=None), sample=True)[2]
    assert measured["qlike_rv1"] < untrained["qlike_rv1"] and measured["qlike_gk5"] < untrained["qlike_gk5"]


@requires_prices
def test_shipped_model_reproduces_its_card_on_the_full_held_out_period(model, recorded, backend_name):
    card = recorded("ts_transformer", backend_name)
    result = zoo.task("ts_transformer").evaluate(model)
    assert result["n"] > 60_000  # 26 assets from 2008
    assert result["metrics"]["qlike_rv1"] == pytest.approx(card["qlike_rv1"], abs=1e-4)


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_backtest_json_keys_and_report(capsys, tmp_path):
    code, out, err = run_cli(
        capsys, "backtest", "--sample", "--ticker", "SPY", "--json", "--out", str(tmp_path)
    )
    assert code == 0, err
    summary = json.loads(out)
    models = {"naive", "ewma", "garch", "har", "ts_transformer"}
    assert set(summary["qlike"]) == models and set(summary["mse"]) == models
    assert set(summary["dm_pvalue"]) == models - {"ts_transformer"}
    assert all(0 <= p <= 1 for p in summary["dm_pvalue"].values())
    assert summary["n_forecasts"] == 1000 - volatility.HISTORY + 1 - 5
    assert 0.3 < summary["direction_accuracy"]["mean"] < 0.7 and summary["direction_accuracy"]["zero"] is None
    for name in ("report.html", "metrics.json", "forecast_vs_realized.png", "cumulative.png", "drawdown.png"):
        assert (tmp_path / name).stat().st_size > 1000, name
    assert "Not investment advice" in (tmp_path / "report.html").read_text()
    assert json.loads((tmp_path / "metrics.json").read_text())["qlike"] == summary["qlike"]


def test_forecast_prints_every_model_and_writes_a_png(capsys, tmp_path):
    code, out, err = run_cli(
        capsys, "forecast", "--sample", "--ticker", "IBM", "--horizon", "5", "--out", str(tmp_path)
    )
    assert code == 0, err
    for name in walkforward.VARIANCE_MODELS:
        assert name in out
    assert "Not investment advice" in out and (tmp_path / "IBM_forecast.png").stat().st_size > 10_000


def test_forecast_on_any_csv(capsys, tmp_path, spy):
    rows = [
        f"{d},{o},{h},{lo},{c}"
        for d, o, h, lo, c in zip(spy.dates, spy.open, spy.high, spy.low, spy.close, strict=True)
    ]
    path = write_csv(tmp_path / "MINE.csv", rows, "Date,Open,High,Low,Close")
    code, out, err = run_cli(
        capsys, "forecast", "--csv", str(path), "--horizon", "1", "--json", "--out", str(tmp_path)
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["ticker"] == "MINE" and result["forecasts"]["garch"]["variance"] > 0


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["forecast", "--sample", "--ticker", "SPY", "--horizon", "3"], "--horizon: invalid choice: 3"),
        (["backtest", "--sample", "--ticker", "AAPL"], "the bundled sample has SPY, IBM"),
        (["backtest", "--sample", "--ticker", "SPY", "--target-vol", "15"], "--target-vol: 15 is not"),
        (["backtest", "--sample", "--ticker", "SPY", "--start", "2017-10-01"], "at least 30 are needed"),
        (["backtest", "--sample", "--ticker", "SPY", "--start", "last year"], "is not a date"),
        (["backtest", "--sample", "--ticker", "SPY", "--cost-bps", "-1"], "--cost-bps: -1 is not accepted"),
    ],
)
def test_cli_errors_are_one_sentence(capsys, argv, needle):
    code, _, err = run_cli(capsys, *argv)
    assert code == 2 and needle in err and "Traceback" not in err


def test_cli_bad_csv_names_the_row(capsys, tmp_path):
    path = write_csv(tmp_path / "bad.csv", [GOOD[1], GOOD[0]])
    code, _, err = run_cli(capsys, "forecast", "--csv", str(path))
    assert code == 2 and "line 3" in err and "ascending" in err
    code, _, err = run_cli(capsys, "forecast", "--csv", str(tmp_path / "absent.csv"))
    assert code == 2 and "no such CSV file" in err and "Traceback" not in err


def test_pooled_backtest_on_the_sample(capsys):
    code, out, err = run_cli(capsys, "backtest", "--sample", "--panel", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["tickers"] == ["SPY", "IBM"] and summary["title"] == "pooled panel of 2 assets"
    assert summary["n_forecasts"] == 2 * (1000 - volatility.HISTORY + 1 - 5)
    assert set(summary["backtest"]) == {"buy_and_hold", *(f"vol_target_{m}" for m in backtest.SIZING_MODELS)}


@requires_prices
def test_a_short_training_run_checkpoints_and_refuses_to_overwrite(tmp_path):
    result = zoo.train("ts_transformer", epochs=1, limit=512, out_dir=tmp_path, verbose=0)
    assert result["train_examples"] == 512 and len(result["history"]["val_loss"]) == 1
    assert (
        np.isfinite(result["history"]["val_loss"][0]) and (tmp_path / "ts_transformer.weights.h5").is_file()
    )
    assert "test" not in result  # quick runs skip the held-out period
    with pytest.raises(FileExistsError, match="--resume"):
        zoo.train("ts_transformer", epochs=1, limit=512, out_dir=tmp_path, verbose=0)
