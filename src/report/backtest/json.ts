import type { BacktestResult } from '../../backtest/index.js';
import { API_VERSION } from '../../model/profile.js';

/** The documented JSON shape (docs/formats.md, "backtest"). */
export function backtestJson(res: BacktestResult): string {
  const r = res.run;
  return (
    JSON.stringify(
      {
        apiVersion: API_VERSION,
        train: { from: r.train.from, until: r.train.until },
        test: { from: r.test.from, until: r.test.until },
        observed: r.observed,
        allowed: r.allowed,
        wouldDeny: r.wouldDenyList,
        undetermined: r.undeterminedList,
        breakage: r.breakage,
        byKind: r.byKind,
        byPrincipal: r.byPrincipal,
        generalized: r.generalized,
        excess: r.excess,
        ...(r.untrained.length ? { untrained: r.untrained } : {}),
        ...(res.caveats.length ? { caveats: res.caveats } : {}),
        ...(res.folds
          ? {
              folds: res.folds.map((f) => ({
                train: f.train,
                test: f.test,
                observed: f.observed,
                allowed: f.allowed,
                breakage: f.breakage,
              })),
            }
          : {}),
        ...(res.learning ? { learning: res.learning } : {}),
      },
      null,
      2,
    ) + '\n'
  );
}
