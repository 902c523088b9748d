import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BadRequestError } from "../../errors.js";
import { readHubSettings } from "./hub-settings.js";
import { withTempDir } from "./hub-test-fixtures.js";

describe("readHubSettings", () => {
  it("defaults to huggingface.co and ~/.cache/huggingface/hub, online, anonymous", () => {
    const s = readHubSettings({ env: { HF_HOME: join(homedir(), "no-such-hf-home-for-test") } });
    assert.equal(s.endpoint, "https://huggingface.co");
    assert.equal(s.cacheDir, join(homedir(), "no-such-hf-home-for-test", "hub"));
    assert.equal(s.offline, false);
    assert.equal(s.token, undefined);
    assert.equal(readHubSettings({ env: {} }).cacheDir.endsWith(join(".cache", "huggingface", "hub")), true);
    assert.equal(readHubSettings({ env: { XDG_CACHE_HOME: "/x" } }).cacheDir, "/x/huggingface/hub");
  });

  it("reads the cache from HF_HUB_CACHE, else HUGGINGFACE_HUB_CACHE, else HF_HOME/hub, expanding ~", () => {
    assert.equal(readHubSettings({ env: { HF_HUB_CACHE: "/a", HUGGINGFACE_HUB_CACHE: "/b", HF_HOME: "/c" } }).cacheDir, "/a");
    assert.equal(readHubSettings({ env: { HUGGINGFACE_HUB_CACHE: "/b", HF_HOME: "/c" } }).cacheDir, "/b");
    assert.equal(readHubSettings({ env: { HF_HOME: "/c" } }).cacheDir, "/c/hub");
    assert.equal(readHubSettings({ env: { HF_HUB_CACHE: "~/hfc" } }).cacheDir, join(homedir(), "hfc"));
    assert.equal(readHubSettings({ env: { HF_HUB_CACHE: "/a" }, cacheDir: "/opt" }).cacheDir, "/opt");
  });

  it("takes the token from --token, HF_TOKEN, HUGGING_FACE_HUB_TOKEN, then the token file", async () => {
    await withTempDir(async (home) => {
      await writeFile(join(home, "token"), "hf_from_file\n");
      assert.equal(readHubSettings({ env: { HF_HOME: home } }).token, "hf_from_file");
      assert.equal(readHubSettings({ env: { HF_HOME: home, HUGGING_FACE_HUB_TOKEN: "hf_legacy" } }).token, "hf_legacy");
      assert.equal(readHubSettings({ env: { HF_HOME: home, HF_TOKEN: "hf_env", HUGGING_FACE_HUB_TOKEN: "hf_legacy" } }).token, "hf_env");
      assert.equal(readHubSettings({ env: { HF_HOME: home, HF_TOKEN: "hf_env" }, token: "hf_flag" }).token, "hf_flag");
      await mkdir(join(home, "elsewhere"));
      await writeFile(join(home, "elsewhere", "tok"), "hf_path");
      assert.equal(readHubSettings({ env: { HF_HOME: home, HF_TOKEN_PATH: join(home, "elsewhere", "tok") } }).token, "hf_path");
      assert.equal(readHubSettings({ env: { HF_HOME: join(home, "empty") } }).token, undefined);
    });
  });

  it("reads offline mode as Python does", () => {
    for (const v of ["1", "ON", "yes", "True"]) assert.equal(readHubSettings({ env: { HF_HUB_OFFLINE: v } }).offline, true, v);
    for (const v of ["0", "", "off", "no"]) assert.equal(readHubSettings({ env: { HF_HUB_OFFLINE: v } }).offline, false, v);
    assert.equal(readHubSettings({ env: { TRANSFORMERS_OFFLINE: "1" } }).offline, true);
    assert.equal(readHubSettings({ env: { HF_HUB_OFFLINE: "0", TRANSFORMERS_OFFLINE: "1" } }).offline, false);
    assert.equal(readHubSettings({ env: { HF_HUB_OFFLINE: "1" }, offline: false }).offline, false);
  });

  it("takes HF_ENDPOINT without its trailing slash and rejects a non-URL", () => {
    assert.equal(readHubSettings({ env: { HF_ENDPOINT: "https://hf-mirror.com/" } }).endpoint, "https://hf-mirror.com");
    assert.throws(() => readHubSettings({ env: { HF_ENDPOINT: "hf-mirror.com" } }), BadRequestError);
  });
});
