"""The sound of a copy or smart cut, interleaved with its picture as the picture is written.

A piece is (path, source start, source end, output start): seconds from the file's time origin. Pieces are
laid end to end by their output start (never by what was written before), so nothing accumulates.

- ``AudioFeeder`` decodes each piece from its exact start and encodes one continuous track: piece k fills
  output samples [round(start_k * rate), round(end_k * rate)), within a sample of its picture.
- ``AudioPacketCopier`` copies the audio packets instead (no re-encode, for stream copy): each piece takes
  the packets whose middle falls inside it, placed by their own source time, so every join is within half
  a packet (~11 ms for AAC at 48 kHz) and nothing is dropped or drifts.

``feed_until(t)`` writes the sound up to output time ``t``; ``finish()`` writes the rest. Worker thread.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from editor.media.probe import open_input
from editor.media.render_output import CODEC_OF_DECODER, AudioWriter, OutputFormat
from editor.media.render_sources import AudioSource, SourcePool, time_origin
from editor.media.render_spec import Progress, RenderClip

Piece = tuple[str, Fraction, Fraction, Fraction]


def audio_codec_for(fmt: OutputFormat, requested: str, source: Any) -> str:
    """The audio codec of a copy or smart output: the user's choice, else the source's when the container
    takes it, else the container's default. Any thread."""
    if requested:
        return requested
    name = CODEC_OF_DECODER.get(source.codec_context.name) if source is not None else None
    return name if name in fmt.audio else fmt.audio[0]


class AudioFeeder:
    """Decode and re-encode the pieces, sample-exact, as the picture advances. Worker thread."""

    def __init__(self, writer: AudioWriter, pieces: list[Piece], pool: SourcePool,
                 progress: Progress | None = None) -> None:
        self.writer, self.pieces, self.pool, self.progress = writer, pieces, pool, progress
        self.k = 0
        self.source: AudioSource | None = None

    def feed_until(self, t: Fraction) -> None:
        import numpy as np

        rate = self.writer.rate
        target = round(t * rate)
        while self.k < len(self.pieces) and self.writer.samples_written < target:
            path, a, b, out_start = self.pieces[self.k]
            first, last = round(out_start * rate), round((out_start + b - a) * rate)
            written = self.writer.samples_written
            if written < first:  # a gap before this piece: silence
                self.writer.write(np.zeros((2, min(first, target) - written), np.float32))
                continue
            if written >= last:
                self._next()
                continue
            if self.source is None:
                self.source = AudioSource(RenderClip(path, a, b, out_start), rate, self.pool)
            n = min(last, target) - written
            while n > 0:
                m = min(n, rate)
                self.writer.write(self.source.read(m))
                n -= m
            if self.progress is not None:
                self.progress.check()
            if self.writer.samples_written >= last:
                self._next()

    def _next(self) -> None:
        if self.source is not None:
            self.source.close()
            self.source = None
        self.k += 1

    def finish(self) -> None:
        import numpy as np

        if self.pieces:
            path, a, b, out_start = self.pieces[-1]
            self.feed_until(out_start + b - a)
        if self.source is not None:
            self.source.close()
            self.source = None
        self.writer.write(np.zeros((2, 0), np.float32), final=True)


class AudioPacketCopier:
    """Copy the audio packets of the pieces (one codec, as the output stream's template), back to back: each
    piece starts with the packet whose place is nearest its picture's start and ends with the last packet
    that fits, so the track has no hole or overlap and every join is within half a packet. The packet before
    a piece's first one is copied too, in place of the last packet of the piece before, so the decoder has
    the overlap it needs and the first sound of the piece is whole (the cost: ~20 ms of the earlier piece's
    end). Worker thread."""

    def __init__(self, out: Any, stream: Any, pieces: list[Piece], origins: dict[str, Fraction] | None = None
                 ) -> None:
        """``origins``: each file's time origin in seconds, when the caller knows it (else it is read)."""
        self.out, self.stream, self.pieces = out, stream, pieces
        self.origins = dict(origins or {})
        self.k = 0
        self.container: Any = None
        self.source: Any = None
        self.packets: Any = None
        self.pending: Any = None
        self.started = False
        self.previous: Any = None  # the packet before the piece's first one (the decoder's pre-roll)
        self.origin = Fraction(0)
        self.written = Fraction(0)  # output seconds where the next packet goes
        self.tb: Fraction | None = None
        # per piece (set by _open): the source time base, a packet's exact length, where the piece's packets end
        self.stb = Fraction(1)
        self.dur: Fraction | None = None
        self.limit = Fraction(0)

    def _open(self) -> bool:
        path, a, _b, _o = self.pieces[self.k]
        if self.container is None or self.container.name != path:
            if self.container is not None:
                self.container.close()
            self.container = open_input(path)
            known = self.origins.get(path)
            self.origin = known if known is not None else time_origin(self.container)
        if not self.container.streams.audio:
            return False
        self.source = self.container.streams.audio[0]
        stb = Fraction(self.source.time_base)
        self.tb = self.tb or stb
        self.container.seek(max(0, int((self.origin + a - Fraction(1, 2)) / stb)), stream=self.source,
                            backward=True)
        self.packets = self.container.demux(self.source)
        self.started = False
        self.previous = None
        self.stb = stb
        cc = self.source.codec_context
        # the exact length (a Matroska millisecond time base rounds it, and that would add up)
        self.dur = Fraction(cc.frame_size, cc.sample_rate) if cc.frame_size and cc.sample_rate else None
        self.limit = Fraction(0)
        return True

    def _done_piece(self) -> None:
        self.packets, self.pending = None, None
        self.k += 1

    def feed_until(self, t: Fraction) -> None:
        while self.k < len(self.pieces):
            if self.packets is None and not self._open():
                self.k += 1
                continue
            packet = self.pending if self.pending is not None else next(self.packets, None)
            self.pending = None
            if packet is None:
                self._done_piece()
                continue
            if packet.size == 0 or packet.pts is None:
                continue
            stb = self.stb
            dur = self.dur if self.dur is not None else (packet.duration or 0) * stb
            if not self.started:
                _path, a, b, out_start = self.pieces[self.k]
                ideal = out_start + packet.pts * stb - self.origin - a
                lead = dur if self.previous is not None else Fraction(0)
                if ideal + dur / 2 < self.written + lead:
                    self.previous = packet
                    continue  # earlier than its picture by more than half a packet
                if ideal > self.written + lead + dur / 2:
                    self.written = ideal - lead  # the source's sound starts later than its picture
                self.started = True
                more = self.k + 1 < len(self.pieces)
                self.limit = out_start + b - a - (dur if more else 0) - dur / 2  # (a fixed length: computed once)
                if self.previous is not None:
                    self._mux(self.previous, dur)
            if self.written > (self.limit if self.dur is not None else self._limit_for(dur)):
                self._done_piece()
                continue
            if self.written >= t:
                self.pending = packet
                return
            self._mux(packet, dur)

    def _limit_for(self, dur: Fraction) -> Fraction:
        """Where the piece's packets end, for packets whose length varies (no fixed frame size)."""
        _path, a, b, out_start = self.pieces[self.k]
        more = self.k + 1 < len(self.pieces)
        return out_start + b - a - (dur if more else 0) - dur / 2

    def _mux(self, packet: Any, dur: Fraction) -> None:
        assert self.tb is not None
        packet.pts = packet.dts = int(round(self.written / self.tb))
        packet.time_base = self.tb
        packet.stream = self.stream
        self.out.mux(packet)
        self.written += dur

    def finish(self) -> None:
        self.feed_until(Fraction(10**9))
        if self.container is not None:
            self.container.close()
            self.container = None
