"""The record and bundle byte layout, and the signed square-root map quantiser."""

import numpy as np
import pytest

from tb_attrib.summary import codec, metadata


def test_record_round_trip_keeps_fields_and_arrays():
    arrays = {
        "maps": np.arange(-6, 6, dtype=np.int8).reshape(3, 4),
        "scales": np.array([0.5, 2.0, 1e-9], dtype=np.float32),
        "labels": np.array([1, 2, 3], dtype=np.int64),
        "image": np.full((2, 2, 3), 200, dtype=np.uint8),
        "scalar": np.float32(np.nan),
    }
    data = codec.encode_record({"alphas": [0.1, 1.0], "name": "<b>x</b>"}, arrays)
    record = codec.decode_record(data)
    assert record.fields == {"alphas": [0.1, 1.0], "name": "<b>x</b>"}
    for name, value in arrays.items():
        np.testing.assert_array_equal(record.arrays[name], np.asarray(value))
    assert record.arrays["labels"].dtype == np.int32
    assert record.arrays["scalar"].shape == ()  # 0-d arrays stay 0-d, as format.md says
    assert len(data) % 8 == 0


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"TBAR",
        b"XXXX\x01\0\0\0\x02\0\0\0{}",
        b"TBAR\x01\0\0\0\xff\0\0\0{}",
        b"TBAR\x09\0\0\0\x02\0\0\0{}",
    ],
)
def test_malformed_records_raise_record_error(data):
    with pytest.raises(codec.RecordError):
        codec.decode_record(data)


def test_record_with_array_past_its_end_is_refused():
    data = bytearray(codec.encode_record({}, {"a": np.zeros(16, np.float32)}))
    with pytest.raises(codec.RecordError):
        codec.decode_record(bytes(data[:-8]))


def test_quantiser_error_bound_and_nonfinite_code():
    rng = np.random.default_rng(0)
    maps = rng.standard_cauchy((5, 32, 32)).astype(np.float32)
    maps[0, 0, 0] = np.nan
    maps[1, 3, 3] = -np.inf
    codes, scales = codec.quantize_maps(maps)
    decoded = codec.dequantize_maps(codes, scales)
    assert codes.dtype == np.int8 and scales.shape == (5,)
    assert np.isnan(decoded[0, 0, 0]) and np.isnan(decoded[1, 3, 3])
    finite = np.isfinite(maps)
    q = np.abs(codes.astype(np.float64))
    bound = scales[:, None, None] * (2 * q + 1) / (2 * 127.0**2) + 1e-6 * scales[:, None, None]
    assert np.all(np.abs(decoded - maps)[finite] <= bound[finite])
    # Extremes are exact, so a scale fixed across maps is exact too.
    flat = np.where(finite, np.abs(maps), 0).reshape(5, -1).max(axis=1)
    np.testing.assert_allclose(scales, flat)


def test_quantiser_keeps_small_values_better_than_a_linear_code():
    values = np.array([[1.0, 0.01, -0.01, 0.003]], dtype=np.float32)
    codes, scales = codec.quantize_maps(values, map_ndim=1)
    decoded = codec.dequantize_maps(codes, scales)
    assert abs(decoded[0, 1] - 0.01) / 0.01 < 0.1
    assert np.sign(decoded[0, 2]) == -1 and decoded[0, 3] > 0


def test_all_zero_map_round_trips():
    codes, scales = codec.quantize_maps(np.zeros((2, 3, 3)))
    assert np.all(scales == 0) and np.all(codec.dequantize_maps(codes, scales) == 0)


def test_bundle_round_trip_with_absent_records():
    parts = [b"abc", None, b"", b"x" * 17]
    out = codec.decode_bundle(codec.encode_bundle(parts))
    assert out == [b"abc", None, None, b"x" * 17]
    with pytest.raises(codec.RecordError):
        codec.decode_bundle(codec.encode_bundle(parts)[:20])


def test_display_images_ranges():
    unit = codec.display_images(np.full((1, 2, 2, 3), 0.5))[0]
    assert unit.dtype == np.uint8 and unit[0, 0, 0, 0] == 128
    pixels, (low, high) = codec.display_images(np.full((1, 2, 2, 1), 100.0))
    assert (low, high) == (0.0, 255.0) and pixels[0, 0, 0, 0] == 100
    standardised, (low, high) = codec.display_images(np.array([[[[-2.0]], [[2.0]]]]))
    assert (low, high) == (-2.0, 2.0) and standardised.max() == 255
    grey = codec.display_images(np.zeros((1, 2, 2, 5)))[0]
    assert grey.shape == (1, 2, 2, 1)


def test_metadata_round_trip_and_future_versions():
    proto = metadata.create_summary_metadata(metadata.KIND_FEATURE_MAPS, layer="conv1")
    assert proto.plugin_data.plugin_name == metadata.PLUGIN_NAME == "tb_attrib"
    assert proto.data_class == 3  # DATA_CLASS_BLOB_SEQUENCE
    parsed = metadata.parse_plugin_content(proto.plugin_data.content)
    assert parsed.kind == "feature_maps" and parsed.extra == {"layer": "conv1"} and parsed.readable
    future = metadata.parse_plugin_content(b'{"version": 99, "kind": "probe"}')
    assert not future.readable
    for bad in (b"", b"[]", b'{"kind": "probe"}', b"\xff"):
        with pytest.raises(metadata.MetadataError):
            metadata.parse_plugin_content(bad)


def test_integrated_gradients_write_op_takes_plain_arrays(tmp_path):
    import tensorflow as tf

    from tb_attrib.summary import summary_v2

    writer = tf.summary.create_file_writer(str(tmp_path))
    with writer.as_default(step=3):
        assert summary_v2.integrated_gradients(
            "ig", attributions=np.ones((2, 4, 4, 3)), delta=[0.0, 0.1], targets=[1, 0]
        )
    writer.close()
    assert list(tmp_path.glob("events.out.tfevents*"))


def test_integrated_gradients_records_hold_each_examples_steps(tmp_path):
    """steps="auto" refines examples on their own: each record keeps its example's rule, the
    digest the largest."""
    import tensorflow as tf
    from tensorboard.backend.event_processing import event_file_loader

    from tb_attrib.summary import summary_v2

    writer = tf.summary.create_file_writer(str(tmp_path))
    with writer.as_default(step=0):
        summary_v2.integrated_gradients(
            "ig",
            attributions=np.ones((3, 4, 4, 3)),
            delta=[0.0, 0.1, 0.2],
            targets=[1, 0, 2],
            method="riemann_trapezoid",
            steps=[16, 61, 31],
        )
    writer.close()
    (path,) = tmp_path.glob("events.out.tfevents*")
    for event in event_file_loader.EventFileLoader(str(path)).Load():
        for value in event.summary.value:
            blobs = tf.make_ndarray(value.tensor)
            records = [codec.decode_record(b) for b in blobs]
            assert records[0].fields["steps"] == 61
            assert [r.fields["steps"] for r in records[1:]] == [16, 61, 31]
            return
    pytest.fail("no summary written")


def _written(tmp_path):
    from tensorboard.backend.event_processing import event_file_loader

    records = {}
    for path in sorted(tmp_path.glob("events.out.tfevents*")):
        for event in event_file_loader.EventFileLoader(str(path)).Load():
            for value in event.summary.value:
                records[value.tag] = [codec.decode_record(b) for b in value.tensor.string_val]
    return records


def test_token_attributions_are_written_whatever_their_values(tmp_path):
    """A vocabulary is checked against the probe's ids, never against attribution values."""
    import tensorflow as tf

    from tb_attrib.summary import modalities, summary_v2

    spec = modalities.InputSpec("ids", "tokens", vocabulary=["<pad>", "a", "b"])
    writer = tf.summary.create_file_writer(str(tmp_path))
    with writer.as_default(step=0):
        assert summary_v2.probe("p", np.array([[1, 2, 0]]), input_specs=[spec])
        assert summary_v2.integrated_gradients(
            "ig",
            attributions=np.array([[-3.5, 7.0, 0.0]]),
            delta=[0.0],
            targets=[0],
            input_specs=[spec],
        )
        with pytest.raises(ValueError, match="vocabulary has 3 tokens"):
            summary_v2.probe("bad", np.array([[1, 5, 0]]), input_specs=[spec])
    writer.close()
    records = _written(tmp_path)
    assert records["p"][1].fields["tokens"] == ["a", "b", "<pad>"]
    np.testing.assert_allclose(
        codec.dequantize_maps(records["ig"][1].arrays["map"], records["ig"][1].arrays["scale"]),
        [-3.5, 7.0, 0.0],
        rtol=0.02,
    )


def test_probe_keeps_fractional_labels_as_values(tmp_path):
    import tensorflow as tf

    from tb_attrib.summary import summary_v2

    writer = tf.summary.create_file_writer(str(tmp_path))
    with writer.as_default(step=0):
        summary_v2.probe("values", np.zeros((3, 4)), labels=np.array([0.7, 1.9, 2.5]))
        summary_v2.probe("ids", np.zeros((3, 4)), labels=np.array([0.0, 1.0, 2.0]))
    writer.close()
    records = _written(tmp_path)
    np.testing.assert_allclose(records["values"][0].arrays["label_values"][:, 0], [0.7, 1.9, 2.5])
    np.testing.assert_array_equal(records["ids"][0].arrays["labels"], [0, 1, 2])
    assert records["values"][0].fields["display_range"] is None  # a tabular probe
