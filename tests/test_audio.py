import numpy as np
import pytest

from callqa.audio import channel_is_silent, channels_identical, load_audio, save_audio
from callqa.errors import AudioDecodeError, InputError

FORMATS = [".wav", ".flac", ".mp3", ".ogg", ".m4a"]


@pytest.mark.parametrize("ext", FORMATS)
@pytest.mark.parametrize("rate", [8000, 44100])
def test_audio_decodes_every_format_and_rate_to_16k(tmp_path, tone, ext, rate):
    stereo = np.stack([tone, 0.5 * tone])
    # write at the target rate: resample the 16 kHz tone first
    from scipy.signal import resample_poly

    src = resample_poly(stereo, rate, 16000, axis=1)
    path = tmp_path / f"tone{ext}"
    save_audio(path, src, rate)
    audio = load_audio(path)
    assert audio.sample_rate == 16000
    assert audio.channels == 2
    # lossy encoders add priming samples (AAC: 1024+ at the source rate)
    assert abs(audio.duration_s - 2.0) < (0.3 if ext in ('.m4a', '.mp3') else 0.05)
    # the 440 Hz tone survives decoding and resampling
    spectrum = np.abs(np.fft.rfft(audio.samples[0][:16000]))
    assert abs(np.argmax(spectrum) - 440) <= 2


@pytest.mark.parametrize("ext", [".wav", ".flac"])
def test_lossless_formats_round_trip_16_bit_audio_sample_for_sample(tmp_path, ext):
    rng = np.random.default_rng(0)
    pcm = rng.integers(-32768, 32768, size=(2, 16000)).astype(np.int16)
    pcm[:, :4] = [[-32768, 32767, 1, -1], [0, -2, 2, 32767]]
    path = tmp_path / f"noise{ext}"
    save_audio(path, pcm / 32768.0, 16000)
    first = load_audio(path)
    assert np.array_equal(np.rint(first.samples * 32768.0).astype(np.int64), pcm.astype(np.int64))
    again = tmp_path / f"again{ext}"
    save_audio(again, first.samples[::-1], 16000)  # channels swapped: the same signals
    assert np.array_equal(load_audio(again).samples, first.samples[::-1])


def test_audio_rejects_non_audio_files_with_the_file_named(tmp_path):
    fake = tmp_path / "notes.wav"
    fake.write_text("this is not audio")
    with pytest.raises(AudioDecodeError, match="notes.wav"):
        load_audio(fake)
    with pytest.raises(InputError, match="file not found"):
        load_audio(tmp_path / "missing.wav")
    empty = tmp_path / "empty.flac"
    empty.write_bytes(b"")
    with pytest.raises(AudioDecodeError, match="empty.flac"):
        load_audio(empty)


def test_audio_rejects_more_than_two_channels(tmp_path, tone):
    import av

    path = tmp_path / "six.wav"
    x = np.tile(tone, (6, 1))
    with av.open(str(path), "w") as out:
        stream = out.add_stream("pcm_s16le", rate=16000, layout="5.1")
        frame = av.AudioFrame.from_ndarray((x.T.reshape(1, -1) * 32767).astype(np.int16), format="s16", layout="5.1")
        frame.sample_rate = 16000
        for p in stream.encode(frame):
            out.mux(p)
        for p in stream.encode(None):
            out.mux(p)
    with pytest.raises(AudioDecodeError, match="has 6 channels"):
        load_audio(path)


def test_audio_identical_and_silent_channels_detected(tmp_path, tone):
    path = tmp_path / "dup.wav"
    save_audio(path, np.stack([tone, tone]), 16000)
    assert channels_identical(load_audio(path))
    path2 = tmp_path / "two.wav"
    rng = np.random.default_rng(0)
    save_audio(path2, np.stack([tone, rng.normal(0, 0.1, tone.size).astype(np.float32)]), 16000)
    audio = load_audio(path2)
    assert not channels_identical(audio)
    assert channel_is_silent(np.zeros(16000, dtype=np.float32))
    assert not channel_is_silent(audio.channel(0))
