"""The training progress display of fit(): tqdm when it is installed (tqdm.auto: a widget in a
notebook, a bar in a terminal), else a plain line on stderr at every 10% like the command's
progress display in a log. The status is the loss's moving mean (0.95 / 0.05, as the command)."""

import sys


def progress_bar(total, initial, desc, enabled=True):
    if not enabled:
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _PlainBar(total, initial, desc)
    return _TqdmBar(tqdm(total=total, initial=initial, desc=desc, unit="it"))


class _LossMean:
    def __init__(self):
        self.value = None

    def add(self, loss):
        self.value = loss if self.value is None else 0.95 * self.value + 0.05 * loss
        return self.value


class _NoBar:
    def update(self, done, loss):
        pass

    def close(self):
        pass


class _TqdmBar:
    def __init__(self, bar):
        self.bar, self.mean = bar, _LossMean()

    def update(self, done, loss):
        self.bar.set_postfix(loss="%.4f" % self.mean.add(loss), refresh=False)
        self.bar.update(done - self.bar.n)

    def close(self):
        self.bar.close()


class _PlainBar:
    def __init__(self, total, initial, desc):
        self.total, self.initial, self.desc = total, initial, desc
        self.mean, self.tenths = _LossMean(), 0

    def update(self, done, loss):
        mean = self.mean.add(loss)
        tenths = (done - self.initial) * 10 // max(1, self.total - self.initial)
        if tenths > self.tenths or done == self.total:
            self.tenths = tenths
            print("%s %d/%d  loss %.4f" % (self.desc, done, self.total, mean), file=sys.stderr, flush=True)

    def close(self):
        pass
