"""The other side of the interop check (write-our-outputs.mjs): Hugging Face transformers loads the default
model folder our trainer wrote, PEFT loads the LoRA adapter our trainer saved, and both are compared with our
reference backend's token ids, logits and greedy tokens. Needs torch, transformers (>= 5) and peft; no GPU.
Usage: python3 test/interop/check_transformers_peft.py OURS.json[.gz]   (prints one JSON object)"""
import gzip
import json
import sys

import torch
import transformers
import peft
from transformers import AutoModelForCausalLM, AutoTokenizer
from peft import PeftModel

path = sys.argv[1]
with (gzip.open(path, "rt") if path.endswith(".gz") else open(path)) as f:
    ours = json.load(f)
torch.manual_seed(0)
report = {"transformers": transformers.__version__, "peft": peft.__version__, "torch": torch.__version__}

tokenizer = AutoTokenizer.from_pretrained(ours["model"])
hf_ids = [tokenizer(text)["input_ids"] for text in ours["texts"]]
report["token_ids_equal"] = hf_ids == ours["ids"]
if not report["token_ids_equal"]:
    report["hf_ids"] = hf_ids


def compare(model, run):
    max_delta = 0.0
    greedy_equal = 0
    firsts = []
    with torch.no_grad():
        for i, ids in enumerate(ours["ids"]):
            x = torch.tensor([ids])
            logits = model(input_ids=x).logits[0].float()
            mine = torch.tensor(run["logits"][i])
            max_delta = max(max_delta, (logits - mine).abs().max().item())
            out = model.generate(x, max_new_tokens=ours["greedyTokens"], do_sample=False, eos_token_id=None,
                                 pad_token_id=0, min_new_tokens=ours["greedyTokens"])
            theirs = out[0][len(ids):].tolist()
            greedy_equal += int(theirs == run["greedy"][i])
            if theirs != run["greedy"][i]:
                firsts.append({"text": i, "theirs": theirs, "ours": run["greedy"][i]})
    return {"max_abs_logit_delta": max_delta, "greedy_identical": f"{greedy_equal}/{len(ours['ids'])}", "mismatches": firsts}


base = AutoModelForCausalLM.from_pretrained(ours["model"], dtype=torch.float32, attn_implementation="eager")
base.eval()
report["model_class"] = type(base).__name__
report["base"] = compare(base, ours["runs"]["base"])
lora = PeftModel.from_pretrained(base, ours["adapter"])
lora.eval()
report["lora_unmerged"] = compare(lora, ours["runs"]["lora"])
report["lora_merged"] = compare(lora.merge_and_unload(), ours["runs"]["lora"])
print(json.dumps(report, indent=1))
