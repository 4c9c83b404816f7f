"""The timeline as plain data: no Qt, no I/O. Import the modules you need:

- ``timeline``  data types (Timeline, Track, Clip, Gap, SubtitleCue, Marker, MediaRef) and ``validate``
- ``time``      rates, frames <-> seconds, timecode
- ``edits``     clip edits (split, trims, ripple delete, lift, move, speed, insert/append)
- ``marks``     markers, in/out, subtitle cues
- ``playhead``  the editor's keys (S, Shift+S, Q, W, X, Delete) as one call each
- ``navigate``  what is where (clip_at, edit points, markers, duration) and ``timeline_from_media``
- ``registry``  edits by name (``apply_edit``) and ``EditRecord`` rows for edit_history
- ``history``   undo/redo with drag merging and replay
- ``serialize`` JSON with versioned schemas
- ``srt_io``, ``otio_io``, ``edl``  interchange (text in, text out)
- ``errors``    TimelineError and its subclasses
"""
