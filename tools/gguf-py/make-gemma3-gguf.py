#!/usr/bin/env python3
"""
Writes test/fixtures/gguf/gemma3-gguf-py-q8_0.gguf with llama.cpp's own Python GGUF library (gguf-py), doing
for the tiny gemma3 fixture what convert_hf_to_gguf.py --outtype q8_0 does for Gemma 3 (conversion/gemma.py
Gemma3Model and base.py TextModel, without the torch dependency): HF names mapped by gguf-py's tensor map,
norm weights + 1 in float32, 1-D and norm tensors F32, the rest Q8_0 by gguf-py's numpy quantizer, and the
metadata written through the same GGUFWriter calls. No tokenizer (the fixture has none).

usage: python3 tools/gguf-py/make-gemma3-gguf.py LLAMA_CPP_SOURCE_DIR test/fixtures/hf/gemma3 OUT.gguf
"""
import json, struct, sys
import numpy as np

src, model_dir, out = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, f"{src}/gguf-py")
import gguf  # noqa: E402

def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", info
        b, e = info["data_offsets"]
        tensors[name] = np.frombuffer(data[b:e], dtype=np.float32).reshape(info["shape"])
    return tensors

hp = json.load(open(f"{model_dir}/config.json"))
tensors = read_safetensors(f"{model_dir}/model.safetensors")
n_layers = hp["num_hidden_layers"]
arch = gguf.MODEL_ARCH.GEMMA3
w = gguf.GGUFWriter(out, gguf.MODEL_ARCH_NAMES[arch])
w.add_type(gguf.GGUFType.MODEL)
w.add_block_count(n_layers)
w.add_context_length(hp["max_position_embeddings"])
w.add_embedding_length(hp["hidden_size"])
w.add_feed_forward_length(hp["intermediate_size"])
w.add_head_count(hp["num_attention_heads"])
w.add_head_count_kv(hp["num_key_value_heads"])
rope = hp["rope_parameters"]
w.add_rope_freq_base(rope["full_attention"]["rope_theta"])
w.add_rope_freq_base_swa(rope["sliding_attention"]["rope_theta"])
w.add_layer_norm_rms_eps(hp["rms_norm_eps"])
w.add_key_length(hp["head_dim"])
w.add_value_length(hp["head_dim"])
w.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0)
w.add_sliding_window(hp["sliding_window"])
w.add_quantization_version(gguf.GGML_QUANT_VERSION)

name_map = gguf.get_tensor_name_map(arch, n_layers)
for name, data in tensors.items():
    name = name.replace("language_model.", "")
    if name.endswith("norm.weight"):
        data = data + np.float32(1)  # Gemma3RMSNorm: llama.cpp stores 1 + w
    new_name = name_map.get_name(name, try_suffixes=(".weight", ".bias"))
    assert new_name is not None, name
    if data.ndim <= 1 or new_name.endswith("_norm.weight"):
        w.add_tensor(new_name, data.astype(np.float32))
    else:
        q = gguf.quants.quantize(data, gguf.GGMLQuantizationType.Q8_0)
        w.add_tensor(new_name, q, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
