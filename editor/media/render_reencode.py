"""Re-encode a timeline: exactly ``round(duration * fps)`` frames, the sound mixed and sample-counted.

For each output frame the topmost clip covering its time is found by bisection (per track, clips sorted
by start), and the source frame whose presentation time covers the matching source time is shown (frame
rate conform); other sizes, rotations and pixel formats are fitted (``render_sources.conform``). Sources
are opened when their clip is first shown or heard and closed as soon as the clip has passed, through a
small pool, so memory stays flat however many clips the timeline has. Audio-only specs (no picture, or an
audio-only container) write sound only. Worker thread or child process; never touches Qt.
"""

from __future__ import annotations

import bisect
import dataclasses
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from editor.media.compose_render import CompositeFrames
from editor.media.errors import RenderError
from editor.media.render_output import AudioWriter, add_video_stream, choose_codecs
from editor.media.render_sources import AudioSource, SourcePool, VideoSource, black_frame, conform
from editor.media.render_spec import Progress, RenderClip, RenderSpec


class ClipIndex:
    """The topmost video clip at a time, by bisection over each track's clips (sorted by start).

    Any thread (immutable after construction).
    """

    def __init__(self, clips: list[RenderClip]) -> None:
        tracks: dict[int, list[RenderClip]] = {}
        for c in clips:
            tracks.setdefault(c.track, []).append(c)
        self.tracks = []
        for track in sorted(tracks, reverse=True):  # top first
            items = sorted(tracks[track], key=lambda c: c.timeline_start)
            ends, running = [], Fraction(-1)
            for c in items:
                running = max(running, c.timeline_end)
                ends.append(running)
            self.tracks.append(([c.timeline_start for c in items], ends, items))

    def at(self, t: Fraction) -> RenderClip | None:
        """The clip shown at timeline time ``t`` (the later-starting one where clips of a track overlap)."""
        for starts, ends, items in self.tracks:
            i = bisect.bisect_right(starts, t) - 1
            while i >= 0 and ends[i] > t:
                if items[i].timeline_end > t:
                    return items[i]
                i -= 1
        return None


def render_reencode(spec: RenderSpec, tmp: Path, progress: Progress) -> int:
    """Write ``spec`` re-encoded to ``tmp``; returns the number of video frames (0 for audio only)."""
    n_frames = spec.frame_count
    if n_frames <= 0:
        raise RenderError(f"{tmp.name}: the range to render is empty")
    rate = spec.sample_rate
    fmt, vcodec, acodec = choose_codecs(tmp, spec.video_codec, spec.audio_codec, spec.has_video)
    video_clips = [c for c in spec.clips if c.video] if vcodec else []
    audio_clips = sorted((c for c in spec.clips if c.audio), key=lambda c: c.timeline_start)
    index = ClipIndex(video_clips)
    pool = SourcePool()
    vsources: dict[int, VideoSource] = {}
    asources: dict[int, AudioSource] = {}
    next_audio = 0
    composer: CompositeFrames | None = None
    try:
        with av.open(str(tmp), "w", format=fmt.muxer) as container:
            vs = None
            if vcodec:
                vs = add_video_stream(container, vcodec, spec.width, spec.height, spec.fps, preset=spec.preset,
                                      crf=spec.crf, bitrate=spec.video_bitrate, threads=spec.threads)
            writer = AudioWriter(container, acodec, rate, spec.audio_bitrate) if (audio_clips or not vcodec) else None
            composer = CompositeFrames(spec, pool) if spec.composition and vs is not None else None
            black: av.VideoFrame | None = None
            last_key: tuple[int, int] | None = None
            last_out: av.VideoFrame | None = None
            audio_done = 0  # timeline samples produced
            for n in range(n_frames):
                t = spec.start + Fraction(n) / spec.fps
                for key in [k for k, s in vsources.items() if s.clip.timeline_end <= t]:
                    vsources.pop(key).close()  # the clip has passed: free its decoder now
                if vs is not None:
                    clip = index.at(t)
                    frame: av.VideoFrame
                    if composer is not None:
                        frame = composer.frame(n)  # titles, fades, dissolves, picture-in-picture
                    elif clip is None:
                        black = black or black_frame(spec.width, spec.height)
                        frame, last_key = black, None
                    else:
                        key = id(clip)
                        st = clip.source_in + (t - clip.timeline_start) * clip.speed
                        if clip.reverse:  # the frame just before the mirrored time (1 ms: any frame rate)
                            st = clip.source_out - (t - clip.timeline_start) * clip.speed - Fraction(1, 1000)
                        src = vsources.get(key)
                        if src is not None and clip.reverse and src.is_past(st):
                            vsources.pop(key).close()  # backwards: decode again from the keyframe before
                            src = None
                        if src is None:
                            src = vsources[key] = VideoSource(clip, pool, st)
                        decoded = src.frame_at(st)
                        if decoded is None:
                            black = black or black_frame(spec.width, spec.height)
                            frame, last_key = black, None
                        elif not clip.reverse and last_key == (key, id(decoded)) and last_out is not None:
                            frame = last_out  # the same source frame again (conform to a higher rate)
                        else:
                            frame = conform(decoded, spec.width, spec.height, src.rotation or 0)
                            last_key = (key, id(decoded))
                        last_out = frame
                    frame.pts = n  # the encoder copies the pixels, so a frame can be sent twice
                    frame.time_base = vs.codec_context.time_base
                    frame.pict_type = av.video.frame.PictureType.NONE
                    container.mux(vs.encode(frame))
                if writer is not None:  # audio up to the end of this frame
                    upto = round((Fraction(n + 1) / spec.fps) * rate)
                    count = upto - audio_done
                    if count > 0:
                        b0 = spec.start * rate + audio_done
                        b1 = b0 + count
                        while next_audio < len(audio_clips) and audio_clips[next_audio].timeline_start * rate < b1:
                            c = audio_clips[next_audio]
                            next_audio += 1
                            if c.timeline_end * rate <= b0:
                                continue
                            offset = max(Fraction(0), b0 / rate - c.timeline_start)
                            moved = dataclasses.replace(c, source_in=c.source_in + offset * c.speed,
                                                        timeline_start=c.timeline_start + offset)
                            asources[id(moved)] = AudioSource(moved, rate, pool)
                        mix = np.zeros((2, count), np.float32)
                        for key in list(asources):
                            a = asources[key]
                            lo = max(b0, a.clip.timeline_start * rate)
                            hi = min(b1, a.clip.timeline_end * rate)
                            off = round(lo - b0)
                            m = round(hi - b0) - off
                            if m > 0:
                                mix[:, off:off + m] += a.read(m)
                            if a.clip.timeline_end * rate <= b1:
                                asources.pop(key).close()
                        np.clip(mix, -1.0, 1.0, out=mix)
                        writer.write(mix)
                        audio_done = upto
                progress.report(100.0 * (n + 1) / n_frames * 0.99, f"frame {n + 1} of {n_frames}")
            if vs is not None:
                container.mux(vs.encode(None))
            if writer is not None:
                writer.write(np.zeros((2, 0), np.float32), final=True)
        return n_frames if vs is not None else 0
    finally:
        if composer is not None:
            composer.close()
        for s in list(vsources.values()) + list(asources.values()):
            s.close()
        pool.close()
