"""LSTM-VAE training throughput: anogen's jitted trainer vs an equivalent PyTorch eager model.

Both train the seed's LSTM-VAE (encoder LSTM64 -> LSTM32 -> Dense32 relu -> mu/logvar(8);
decoder Dense32 relu repeated over L -> LSTM32 -> LSTM64 -> Dense(d); loss 100*L*mse + KL; Adam
1e-3) on the same stride-1 windows of a synthetic 2-feature series, in one process. JAX runs the
trainer's own compiled epoch (``lax.scan`` over the batches; optionally also the one-call-per-step
variant); PyTorch runs a plain eager loop (shuffle, gather the windows, forward, backward, step).
Rounds alternate between the frameworks so that background load hits both alike; the table gives
the median and the best round in steps per wall second and steps per CPU second (user + system time
of the process, all threads: the figure that a loaded machine does not distort), and the speed-up
ratios JAX / PyTorch of both. PyTorch runs with passive OpenMP waiting (``OMP_WAIT_POLICY=PASSIVE``,
so its idle threads do not spin and burn CPU seconds) and its thread count is printed.

Usage::

    python scripts/bench_train.py                      # batch 32 and 256, ~2-3 minutes
    python scripts/bench_train.py --batch-sizes 32 --rounds 3 --json out.json

PyTorch is optional (``pip install 'anogen[bench]'``, i.e. torch==2.13.0); without it only the JAX
figures are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_data(n: int, d: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, None]
    freq = rng.uniform(0.02, 0.2, size=(1, d))
    x = np.sin(t * freq) + 0.1 * rng.normal(size=(n, d))
    return ((x - x.mean(0)) / x.std(0)).astype(np.float32)


# --------------------------------------------------------------------------------------------
# JAX (anogen's trainer)


class JaxBench:
    """anogen's trainer: one ``train_epoch`` call per epoch (``scan``), or one jitted ``train_step`` per batch."""

    def __init__(self, data: np.ndarray, seq_len: int, latent: int, batch_size: int, scan: bool, unroll,
                 devices: int = 1):
        import jax
        import jax.numpy as jnp
        from flax import nnx

        from anogen.data.windows import window_starts
        from anogen.models import LSTMVAE
        from anogen.train import TrainConfig, TrainState, train_epoch, train_step
        from anogen.train.optim import optimizer_spec, shared_optimizer
        from anogen.train.samples import gather
        from anogen.train.step import Hyper, epoch_plan

        self.jax, self.jnp = jax, jnp
        model = LSTMVAE(data.shape[1], seq_len, latent_dim=latent, unroll=unroll, rngs=nnx.Rngs(0))
        cfg = TrainConfig(batch_size=batch_size)
        self.state = TrainState.create(model, shared_optimizer(optimizer_spec(cfg)))
        self.hp = Hyper.of(cfg.learning_rate, cfg.weight_decay, 1.0, model.default_recon_weight)
        self.train_epoch, self.epoch_plan, self.gather = train_epoch, epoch_plan, gather
        self.step = jax.jit(train_step)
        starts = window_starts(len(data), seq_len).astype(np.int32)
        self.data = jax.device_put(data)
        self.starts = jax.device_put(starts)
        self.batch_size, self.window = batch_size, seq_len
        self.steps_per_epoch = -(-len(starts) // batch_size)
        self.scan = scan
        self.key = jax.random.key(0)
        self.epoch = 0
        self.parallel = None
        if devices > 1:  # data parallel over host devices (anogen.train.parallel), forced on
            from jax.sharding import Mesh

            from anogen.train.parallel import train_epoch_parallel

            mesh = Mesh(np.array(jax.devices()[:devices]), ("batch",))
            self.parallel = lambda *a, **k: train_epoch_parallel(*a, **k, mesh=mesh)

    def _stepwise(self, key):
        """One epoch with one jitted train_step call per batch (same maths as the scanned epoch)."""
        jax = self.jax
        idx, w = self.epoch_plan(self.starts.shape[0], key, self.batch_size)
        step_key = jax.random.fold_in(key, 1)
        loss = None
        for i in range(idx.shape[0]):
            x = self.gather(self.data, self.starts[idx[i]], self.window)
            self.state, m = self.step(self.state, (x, w[i]), jax.random.fold_in(step_key, i), self.hp)
            loss = m["loss"]
        return loss

    def run_epoch(self) -> float:
        k = self.jax.random.fold_in(self.key, self.epoch)
        self.epoch += 1
        if self.parallel is not None:
            self.state, loss, _ = self.parallel(self.state, self.data, self.starts, k, self.hp,
                                                batch_size=self.batch_size, window=self.window)
        elif self.scan:
            self.state, loss, _ = self.train_epoch(self.state, self.data, self.starts, k, self.hp,
                                                   batch_size=self.batch_size, window=self.window)
        else:
            loss = self._stepwise(k)
        return float(loss)  # blocks

    def compile_seconds(self) -> float:
        t = time.perf_counter()
        self.run_epoch()
        first = time.perf_counter() - t
        t = time.perf_counter()
        self.run_epoch()
        second = time.perf_counter() - t
        return max(first - second, 0.0)


# --------------------------------------------------------------------------------------------
# PyTorch eager


class TorchBench:
    def __init__(self, data: np.ndarray, seq_len: int, latent: int, batch_size: int):
        import torch
        from torch import nn

        torch.manual_seed(0)
        d = data.shape[1]
        L = seq_len

        class TorchLSTMVAE(nn.Module):
            def __init__(self):
                super().__init__()
                self.e1 = nn.LSTM(d, 64, batch_first=True)
                self.e2 = nn.LSTM(64, 32, batch_first=True)
                self.ed = nn.Linear(32, 32)
                self.mu = nn.Linear(32, latent)
                self.lv = nn.Linear(32, latent)
                self.dd = nn.Linear(latent, 32)
                self.d1 = nn.LSTM(32, 32, batch_first=True)
                self.d2 = nn.LSTM(32, 64, batch_first=True)
                self.out = nn.Linear(64, d)

            def forward(self, x):
                h, _ = self.e1(x)
                _, (hn, _) = self.e2(h)
                e = torch.relu(self.ed(hn[-1]))
                mu, lv = self.mu(e), self.lv(e)
                z = mu + torch.exp(0.5 * lv) * torch.randn_like(mu)
                r = torch.relu(self.dd(z)).unsqueeze(1).expand(-1, L, -1)
                h, _ = self.d1(r)
                h, _ = self.d2(h)
                return self.out(h), mu, lv

        self.torch = torch
        self.model = TorchLSTMVAE()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        self.data = torch.from_numpy(data)
        self.starts = torch.arange(len(data) - L + 1)
        self.offsets = torch.arange(L)
        self.L = L
        self.bs = batch_size
        self.steps_per_epoch = -(-len(self.starts) // batch_size)

    def run_epoch(self) -> float:
        torch = self.torch
        perm = self.starts[torch.randperm(len(self.starts))]
        total = 0.0
        for i in range(self.steps_per_epoch):
            s = perm[i * self.bs : (i + 1) * self.bs]
            x = self.data[s[:, None] + self.offsets]
            x_hat, mu, lv = self.model(x)
            mse = ((x - x_hat) ** 2).mean(dim=(1, 2))
            kl = -0.5 * (1 + lv - mu**2 - lv.exp()).sum(-1)
            loss = (100.0 * self.L * mse + kl).mean()
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            total += float(loss.detach())
        return total / self.steps_per_epoch


# --------------------------------------------------------------------------------------------


def timed_epochs(bench, min_seconds: float) -> tuple[float, float]:
    """Run whole epochs for at least ``min_seconds``; return (steps per wall second, per CPU second)."""
    t, c = time.perf_counter(), time.process_time()
    steps = 0
    while True:
        bench.run_epoch()
        steps += bench.steps_per_epoch
        dt = time.perf_counter() - t
        if dt >= min_seconds:
            return steps / dt, steps / max(time.process_time() - c, 1e-9)


def _summary(rounds: list[tuple[float, float]]) -> dict:
    wall = [r[0] for r in rounds]
    cpu = [r[1] for r in rounds]
    return {"median_steps_s": statistics.median(wall), "best_steps_s": max(wall),
            "median_steps_cpu_s": statistics.median(cpu), "best_steps_cpu_s": max(cpu), "rounds": rounds}


def _print_batch(bs: int, steps: int, args: Any, row: dict) -> None:
    """The table of one batch size and the JAX / PyTorch ratios (added to ``row``)."""
    print(f"\nbatch {bs}  ({steps} steps/epoch, L={args.seq_len}, d={args.features})")
    print(f"  {'variant':10s} {'steps/s':>9s} {'best':>7s} {'steps/CPU-s':>12s} {'best':>7s} {'ms/step':>8s} "
          f"{'compile s':>10s}")
    for name, r in row.items():
        comp = f"{r['compile_s']:.2f}" if "compile_s" in r else "-"
        print(f"  {name:10s} {r['median_steps_s']:9.1f} {r['best_steps_s']:7.1f} {r['median_steps_cpu_s']:12.1f} "
              f"{r['best_steps_cpu_s']:7.1f} {1e3 / r['median_steps_s']:8.2f} {comp:>10s}")
    if "torch" not in row:
        return
    for name in [n for n in row if n != "torch"]:
        for key, label in (("median_steps_s", "wall"), ("median_steps_cpu_s", "CPU")):
            row[name][f"ratio_{label.lower()}"] = row[name][key] / row["torch"][key]
        print(f"  ratio {name}/torch: {row[name]['ratio_wall']:.2f}x per wall second (median), "
              f"{row[name]['ratio_cpu']:.2f}x per CPU second (median)")


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 256])
    ap.add_argument("--rows", type=int, default=4000, help="length of the synthetic series")
    ap.add_argument("--features", type=int, default=2)
    ap.add_argument("--seq-len", type=int, default=10)
    ap.add_argument("--latent", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=5, help="alternating JAX/PyTorch rounds per batch size")
    ap.add_argument("--seconds", type=float, default=3.0, help="minimum seconds per round and framework")
    ap.add_argument("--stepwise", action="store_true", help="also time the one-jit-call-per-step variant")
    ap.add_argument("--unroll", default="1", help="lax.scan unroll of the LSTM layers (int)")
    ap.add_argument("--torch-threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--devices", type=int, default=2,
                    help="also time data-parallel training over this many host devices (jax_dp; 1 = off)")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args(argv)
    unroll = int(args.unroll)

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read when torch loads its OpenMP runtime
    if args.devices > 1:
        from anogen.train.parallel import enable_host_devices

        enable_host_devices(args.devices)  # before JAX starts its CPU backend
    import jax

    torch = None
    if not args.no_torch:
        try:
            import torch  # noqa: F811
        except ImportError:
            print("torch not installed: JAX figures only (pip install 'anogen[bench]')")
    if torch is not None and args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    data = make_data(args.rows, args.features, 0)
    info = {
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "jax": jax.__version__,
        "backend": jax.default_backend(),
        "devices": len(jax.devices()),
        "torch": None if torch is None else torch.__version__,
        "torch_threads": None if torch is None else torch.get_num_threads(),
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "rows": args.rows,
        "features": args.features,
        "seq_len": args.seq_len,
        "latent": args.latent,
        "unroll": unroll,
        "loadavg_start": os.getloadavg()[0],
    }
    print(json.dumps(info))
    results: dict = {"info": info, "batch": {}}
    for bs in args.batch_sizes:
        variants = {"jax_scan": JaxBench(data, args.seq_len, args.latent, bs, True, unroll)}
        if args.stepwise:
            variants["jax_step"] = JaxBench(data, args.seq_len, args.latent, bs, False, unroll)
        if args.devices > 1 and len(jax.devices()) >= args.devices and bs % args.devices == 0:
            variants["jax_dp"] = JaxBench(data, args.seq_len, args.latent, bs, True, unroll, args.devices)
        compile_s = {name: b.compile_seconds() for name, b in variants.items()}
        if torch is not None:
            variants["torch"] = TorchBench(data, args.seq_len, args.latent, bs)
            variants["torch"].run_epoch()  # warm-up
        rates: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
        for _ in range(args.rounds):
            for name, b in variants.items():
                rates[name].append(timed_epochs(b, args.seconds))
        row = {name: _summary(r) for name, r in rates.items()}
        for name, c in compile_s.items():
            row[name]["compile_s"] = c
        steps = next(iter(variants.values())).steps_per_epoch
        _print_batch(bs, steps, args, row)
        results["batch"][str(bs)] = row
    results["info"]["loadavg_end"] = os.getloadavg()[0]
    print(
        f"\nload average (1 min): {info['loadavg_start']:.2f} at start, {results['info']['loadavg_end']:.2f} at end "
        f"on {os.cpu_count()} cores (background load slows both frameworks, PyTorch's OpenMP threads most)"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
