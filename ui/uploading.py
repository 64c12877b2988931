"""Uploads in the web app: the report in words, and uploads that run in the background.

A large document takes minutes to read in. The upload therefore runs in a thread of its own
(``UploadJobs.start``); the page asks for its state every second (``UploadJob.view``) and
stays free for questions meanwhile, and a reloaded page finds a running upload of the same user
again (``UploadJobs.running``). Progress comes from ingest's ``progress(frac, msg)`` callback;
the time left is estimated from how fast that fraction has grown. Where the message also counts
passages ("a.pdf: 120/1500 passages", "120 van 1500 passages"), the page shows that count and the
rate in passages per second.

>>> count(1, "passage", "passages"), count(3, "passage", "passages")
('1 passage', '3 passages')
"""

from __future__ import annotations

import re
import shutil
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.store import DocState
from ingest.tags import Taxonomy
from ingest.uploads import UploadResult, safe_filename

from .render import esc

KEEP_FINISHED_SECONDS = 3600  # a finished job is kept this long for a page that asks again
RATE_WINDOW_SECONDS = 60.0  # the time left is estimated from the progress of the last minute
MIN_ESTIMATE_SECONDS = 3.0  # and only once there is that much to go on
# "120/1500 passages", "120 van 1.500 passages" in ingest's message: passages embedded / total.
_COUNTS = re.compile(r"(\d[\d.]*)\s*(?:/|van)\s*(\d[\d.]*)\s*passages?\b", re.I)

_STATUS = {
    "added": "toegevoegd",
    "updated": "bijgewerkt",
    "skipped": "ongewijzigd (stond al in de index)",
}
_DOC_KINDS = {
    "handreiking": "handreiking",
    "praktijkvoorbeelden": "praktijkvoorbeeld",
    "nieuws": "nieuwsbericht",
    "stappenplan": "stappenplan",
    "overig": "overig document",
}


def count(n: int, one: str, many: str) -> str:
    """A number with its noun in the right form."""
    return f"{n} {one if n == 1 else many}"


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " en " + items[-1]


def tags_line(state: DocState, taxonomy: Taxonomy) -> str:
    """What a document was recognised as, in words ("praktijkvoorbeeld; regio Zeewolde; ...")."""
    parts = [_DOC_KINDS.get(state.doc_kind, state.doc_kind or "overig document")]
    examples = dict(state.kinds).get("praktijkvoorbeeld", 0)
    if examples and state.doc_kind != "praktijkvoorbeelden":
        parts.append(f"{count(examples, 'passage', 'passages')} als praktijkvoorbeeld")
    if state.regions:
        parts.append(("regio " if len(state.regions) == 1 else "regio's ") + _few(state.regions))
    if state.themes:
        labels = [taxonomy.label(t) for t in state.themes]
        parts.append(("thema " if len(labels) == 1 else "thema's ") + _few(labels))
    return "; ".join(parts)


REPORT_TAGS = 3  # a handbook names every theme and many regions: the report names the main ones


def _few(values: Sequence[str]) -> str:
    """The first values, most frequent first, and how many more there are."""
    if len(values) <= REPORT_TAGS:
        return _join(values)
    return f"{', '.join(values[:REPORT_TAGS])} en {len(values) - REPORT_TAGS} andere"


def report_markdown(result: UploadResult, states: dict[str, DocState], taxonomy: Taxonomy) -> str:
    """The upload report for the Documenten tab (file names and document text escaped)."""
    lines: list[str] = []
    if result.over_limit:
        lines.append(
            f"Er zijn {result.chosen} bestanden gekozen; per keer kunnen er {result.limit}. "
            f"Alleen de eerste {result.limit} worden verwerkt."
        )
    doc_ids = {r.path.name: r.doc_id for r in (result.report.results if result.report else [])}
    for o in result.outcomes:
        if o.status == "refused":
            lines.append(f"- **{esc(o.name)}**: {esc(o.reason)}.")
        elif o.status == "failed":
            lines.append(f"- **{esc(o.name)}**: niet toegevoegd — {esc(o.reason)}")
        else:
            passages = count(o.passages, "passage", "passages")
            line = f"- **{esc(o.name)}**: {_STATUS[o.status]}, {passages}"
            state = states.get(doc_ids.get(o.name, ""))
            if state is not None:
                line += f" — herkend als {esc(tags_line(state, taxonomy))}"
            lines.append(line + ".")
            if o.notice:  # e.g. a text file that was not UTF-8 and was read by detection
                lines.append(f"  Let op: {esc(o.notice)}.")
    if result.report is not None:
        lines += ["", esc(result.report.summary())]
    return "\n".join(lines)


# -- uploads in the background -------------------------------------------------------------------
@dataclass
class UploadJob:
    """One upload: its files, how far ingest is, and the report once it is done."""

    id: str
    owner: str  # the login name ("" without a login): a reload finds the user's own uploads
    names: list[str]
    started: float = field(default_factory=time.monotonic)
    frac: float = 0.0
    message: str = ""  # ingest's latest message (the file it is reading)
    reported: bool = False  # ingest has called back at least once
    finished: float | None = None
    report: str = ""
    samples: deque[tuple[float, float]] = field(default_factory=lambda: deque(maxlen=600))
    # (time, passages done, total) when ingest's message counts passages
    counts: deque[tuple[float, int, int]] = field(default_factory=lambda: deque(maxlen=600))
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def done(self) -> bool:
        return self.finished is not None

    def progress(self, frac: float, msg: str) -> None:
        """ingest's callback: called from the upload's thread."""
        now = time.monotonic()
        with self.lock:
            self.frac = max(self.frac, min(max(frac, 0.0), 1.0))
            self.message = msg
            self.reported = True
            self.samples.append((now, self.frac))
            m = _COUNTS.search(msg or "")
            if m:
                done, total = (int(g.replace(".", "")) for g in m.groups())
                self.counts.append((now, done, total))

    def passages(self, now: float | None = None) -> tuple[int, int, float | None] | None:
        """(passages done, total, passages per second) of the file being read, when ingest's
        message counts them; the rate is None while there is too little to go on."""
        now = time.monotonic() if now is None else now
        with self.lock:
            counts = list(self.counts)
        if not counts:
            return None
        t1, done, total = counts[-1]
        same = [
            (t, d)
            for t, d, n in counts
            if n == total and d <= done and now - t <= RATE_WINDOW_SECONDS
        ]
        t0, d0 = same[0] if same else (t1, done)
        rate = (done - d0) / (t1 - t0) if t1 - t0 >= MIN_ESTIMATE_SECONDS else None
        return done, total, rate

    def finish(self, report: str) -> None:
        with self.lock:
            self.report = report
            self.frac = 1.0
            self.finished = time.monotonic()

    def seconds_left(self, now: float | None = None) -> float | None:
        """The time left for the file being read, from how fast it went over the last minute;
        None when there is too little to go on.

        Only the current file counts: ingest's fraction gives every file the same share, so
        after a small file the overall rate says nothing about a large one.
        """
        now = time.monotonic() if now is None else now
        n = len(self.names)
        with self.lock:
            frac = self.frac
            samples = [(t, f) for t, f in self.samples if now - t <= RATE_WINDOW_SECONDS]
        k = _file_index(frac, n)
        within = [(t, f * n - k) for t, f in samples if _file_index(f, n) == k]
        if len(within) < 2 or frac >= 1.0:
            return None
        (t0, g0), (t1, g1) = within[0], within[-1]
        if t1 - t0 < MIN_ESTIMATE_SECONDS or g1 <= g0:
            return None
        return (1.0 - (frac * n - k)) / ((g1 - g0) / (t1 - t0))

    def view(self, waiting: bool = False, now: float | None = None) -> str:
        """The progress as HTML (escaped): a bar, the file, the percentage and the time left.

        ``waiting``: another upload holds the index, this one has not started.
        """
        now = time.monotonic() if now is None else now
        with self.lock:
            frac, msg, reported = self.frac, self.message, self.reported
        if self.done:
            return ""
        n = len(self.names)
        counted = self.passages(now)
        pct = min(round(frac * 100), 99 if frac < 1.0 else 100)
        left = self.seconds_left(now)
        if waiting and not reported:
            what = "Wacht tot een andere upload klaar is …"
        elif frac >= 1.0:
            # ingest is done; the search index (BM25) of this process is being brought up to date
            what = "Ingelezen; de zoekindex wordt bijgewerkt …"
        else:
            k = _file_index(frac, n)
            # ingest's message names the file it reads (and may count passages after it)
            name = _COUNTS.split(msg)[0].strip(" :-–—(") if msg else ""
            what = f"Bezig met {esc(name or self.names[k])}"
            if n > 1:
                what += f" (bestand {k + 1} van {n})"
            what += f": {pct}%"
            if counted is not None:
                done, total, rate = counted
                what += f" · {done} van {count(total, 'passage', 'passages')}"
                if rate is not None and rate > 0:
                    what += f" · {_decimal(rate)} per seconde"
            if left is not None:
                rest = " voor dit bestand" if k + 1 < n else ""
                what += f" · nog ongeveer {esc(_duration(left))}{rest}"
        elapsed = f" · {esc(_duration(now - self.started))} bezig"
        return (
            f'<div class="upload-voortgang" role="status" aria-live="polite">'
            f'<progress max="100" value="{pct}" aria-label="Voortgang van de upload"></progress>'
            f'<div class="upload-voortgang-tekst">{what}{elapsed}</div>'
            f'<div class="upload-voortgang-hint">U kunt intussen gewoon vragen stellen; het '
            f"verslag verschijnt hier als het inlezen klaar is.</div></div>"
        )


def _file_index(frac: float, n: int) -> int:
    """Which of ``n`` files ingest is at: its fraction gives each file an equal share."""
    return min(int(frac * n), n - 1) if n else 0


def _decimal(x: float) -> str:
    """A rate the Dutch way: one decimal below 10, with a decimal comma ("4,2")."""
    return f"{x:.1f}".replace(".", ",") if x < 10 else str(round(x))


def _duration(seconds: float) -> str:
    s = max(0, round(seconds))
    if s < 60:
        return count(s, "seconde", "seconden")
    m = round(s / 60)
    return count(m, "minuut", "minuten")


class UploadJobs:
    """The uploads of one server process."""

    def __init__(self) -> None:
        self._jobs: dict[str, UploadJob] = {}
        self._lock = threading.Lock()

    def start(
        self,
        paths: list[Path],
        staging: Path,
        run: Callable[[list[Path], Callable[[float, str], None]], str],
        owner: str = "",
    ) -> UploadJob:
        """Copy ``paths`` into a folder of the job's own and run ``run(files, progress)`` on
        them in a thread; its return value (the report) is kept on the job.

        The copy is made before this returns: the browser's upload may be cleaned up by the
        web framework once the request that brought it is over.
        """
        job = UploadJob(uuid.uuid4().hex, owner, [safe_filename(p.name) for p in paths])
        folder = staging / job.id
        files: list[Path] = []
        for i, p in enumerate(paths):
            # one folder per file: two files with the same name stay two files
            dest = folder / str(i) / Path(p).name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(p, dest)
            files.append(dest)
        self._prune()
        with self._lock:
            self._jobs[job.id] = job

        def work() -> None:
            try:
                report = run(files, job.progress)
            except Exception as e:  # the report says so; the thread must not die silently
                report = f"De upload is mislukt: {esc(str(e) or type(e).__name__)}"
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            job.finish(report)

        threading.Thread(target=work, name=f"upload-{job.id[:8]}", daemon=True).start()
        return job

    def get(self, job_id: str | None) -> UploadJob | None:
        with self._lock:
            return self._jobs.get(job_id or "")

    def running(self, owner: str = "") -> UploadJob | None:
        """The user's latest upload that is still running."""
        with self._lock:
            jobs = [j for j in self._jobs.values() if j.owner == owner and not j.done]
        return max(jobs, key=lambda j: j.started, default=None)

    def waiting(self, job: UploadJob) -> bool:
        """Is an earlier upload still holding the index (ingest runs one at a time)?"""
        with self._lock:
            return any(
                j.started < job.started and not j.done and j.id != job.id
                for j in self._jobs.values()
            )

    def _prune(self) -> None:
        now = time.monotonic()
        with self._lock:
            for k in [
                k
                for k, j in self._jobs.items()
                if j.finished is not None and now - j.finished > KEEP_FINISHED_SECONDS
            ]:
                del self._jobs[k]
