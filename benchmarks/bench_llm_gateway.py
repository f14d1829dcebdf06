"""Gateway overhead: redacting a 2,000-character prompt and restoring the answer.

Measures the work the gateway adds to every external call: personal data
detection (regular expressions plus the tenant's CRM name matcher), placeholder
substitution, and restoration of an answer of the same length. No network and
no database are involved, so the figure is the gateway's own cost.

    .venv/bin/python -m benchmarks.bench_llm_gateway --names 5000 --iterations 500 --repeat 5
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks.common import machine_facts, median_of, percentile, write_results
from zhike.ai.llm.names import NameMatcher
from zhike.ai.llm.privacy import Detector, Redactor

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
FILLER = (
    "客户反馈上个月采购的设备运行稳定，但希望增加售后巡检频次，并询问年度服务包的续费价格。",
    "我们已安排技术支持在周三上门，届时会同步检查网络配置与备份策略。",
    "对方财务要求发票抬头与合同一致，付款将在验收后十五个工作日内完成。",
)


def crm_names(count: int, rng: random.Random) -> dict[str, str]:
    names: dict[str, str] = {}
    while len(names) < count:
        names[rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))] = "person"
    return names


def prompt(rng: random.Random, people: list[str], length: int = 2000) -> str:
    parts: list[str] = []
    size = 0
    while size < length:
        piece = rng.choice(FILLER)
        roll = rng.random()
        if roll < 0.3:
            mobile = f"1{rng.choice('3589')}{rng.randint(10**8, 10**9 - 1)}"
            piece += f"联系人{rng.choice(people)}，手机{mobile}。"
        elif roll < 0.4:
            piece += f"邮箱service{rng.randint(1, 999)}@example.com.cn。"
        parts.append(piece)
        size += len(piece)
    return "".join(parts)[:length]


def run(names: int, iterations: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    table = crm_names(names, rng)
    matcher = NameMatcher(table)
    detector = Detector(matcher)
    texts = [prompt(rng, list(table)) for _ in range(50)]
    timings: list[float] = []
    cpu_timings: list[float] = []
    for index in range(iterations):
        text = texts[index % len(texts)]
        started, cpu_started = time.perf_counter(), time.thread_time()
        redactor = Redactor(detector=detector)
        redacted = redactor.redact(text)
        restored = redactor.restore(redacted)
        cpu_timings.append(time.thread_time() - cpu_started)
        timings.append(time.perf_counter() - started)
        if restored != text:
            raise AssertionError("restoration did not give back the original text")
    return {
        "p50_ms": round(percentile(timings, 0.50) * 1000, 3),
        "p95_ms": round(percentile(timings, 0.95) * 1000, 3),
        "mean_ms": round(statistics.fmean(timings) * 1000, 3),
        # CPU time of this thread: on a busy machine wall time also counts waits for a core.
        "cpu_p50_ms": round(percentile(cpu_timings, 0.50) * 1000, 3),
        "cpu_p95_ms": round(percentile(cpu_timings, 0.95) * 1000, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=5000, help="CRM names in the matcher")
    parser.add_argument("--iterations", type=int, default=500, help="prompts per run")
    parser.add_argument("--repeat", type=int, default=5, help="runs whose median is reported")
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--output", type=Path, default=None, help="JSON results file")
    arguments = parser.parse_args()
    runs = [
        run(arguments.names, arguments.iterations, arguments.seed + i)
        for i in range(arguments.repeat)
    ]
    summary = {
        "benchmark": "llm_gateway_overhead",
        "prompt_characters": 2000,
        "crm_names": arguments.names,
        "iterations": arguments.iterations,
        "runs": runs,
        "median_p50_ms": median_of([item["p50_ms"] for item in runs]),
        "median_p95_ms": median_of([item["p95_ms"] for item in runs]),
        "median_cpu_p95_ms": median_of([item["cpu_p95_ms"] for item in runs]),
        "machine": machine_facts(),
    }
    path = write_results("llm_gateway", summary, arguments.output)
    print(
        f"redaction + restoration of a 2,000-character prompt, {arguments.names} CRM names: "
        f"median p50 {summary['median_p50_ms']} ms, median p95 {summary['median_p95_ms']} ms "
        f"(CPU time p95 {summary['median_cpu_p95_ms']} ms) "
        f"over {arguments.repeat} runs of {arguments.iterations}; results in {path}"
    )


if __name__ == "__main__":
    main()
