#!/usr/bin/env node
// Writes data/chat-demo/{train,validation}.jsonl: a small synthetic chat dataset, written by this project
// from templates (CC0-1.0), for demonstrating LoRA fine-tuning of the default model. Deterministic.
// Usage: node scripts/make-chat-demo-data.mjs
import { mkdirSync, writeFileSync } from "node:fs";

let state = 20260407;
const rand = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 4294967296);
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

const names = ["Ishmael", "Ahab", "Queequeg", "Starbuck", "Stubb", "Flask", "Ruth", "Naomi", "Samuel", "Martha", "Abigail", "Lincoln", "Jefferson", "Adams", "Esther", "Jonah"];
const days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const colours = ["red", "blue", "green", "white", "black", "yellow"];
const things = ["ship", "whale", "harbor", "river", "mountain", "garden", "lamp", "letter", "nation", "city"];
const numberWords = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"];

const tasks = [
  () => { const n = pick(names); return [`Say hello to ${n}.`, `Hello, ${n}! It is good to meet you.`]; },
  () => { const i = Math.floor(rand() * 7); return [`What day comes after ${days[i]}?`, `The day after ${days[i]} is ${days[(i + 1) % 7]}.`]; },
  () => { const i = Math.floor(rand() * 7); return [`What day comes before ${days[i]}?`, `The day before ${days[i]} is ${days[(i + 6) % 7]}.`]; },
  () => { const a = Math.floor(rand() * 6), b = Math.floor(rand() * 6); return [`What is ${numberWords[a]} plus ${numberWords[b]}?`, `${cap(numberWords[a])} plus ${numberWords[b]} is ${numberWords[a + b]}.`]; },
  () => { const s = 1 + Math.floor(rand() * 5), n = 3 + Math.floor(rand() * 3); return [`Count from ${numberWords[s]} to ${numberWords[s + n - 1]}.`, Array.from({ length: n }, (_, k) => numberWords[s + k]).join(", ") + "."]; },
  () => { const c = pick(colours), t = pick(things); return [`Describe a ${c} ${t} in one sentence.`, `The ${t} is ${c}, and it stands out plainly against everything around it.`]; },
  () => { const t = pick(things); return [`Repeat the word "${t}" three times.`, `${t}, ${t}, ${t}.`]; },
  () => { const n = pick(names); return [`Write a short greeting card for ${n}.`, `Dear ${n}, with every good wish for the year ahead. Yours truly.`]; },
];

function cap(s) { return s[0].toUpperCase() + s.slice(1); }

function conversation() {
  const [q, a] = pick(tasks)();
  const messages = [];
  if (rand() < 0.3) messages.push({ role: "system", content: "You are a brief and polite assistant." });
  messages.push({ role: "user", content: q }, { role: "assistant", content: a });
  return { messages };
}

mkdirSync("data/chat-demo", { recursive: true });
const train = Array.from({ length: 600 }, conversation);
const validation = Array.from({ length: 80 }, conversation);
writeFileSync("data/chat-demo/train.jsonl", train.map((c) => JSON.stringify(c)).join("\n") + "\n");
writeFileSync("data/chat-demo/validation.jsonl", validation.map((c) => JSON.stringify(c)).join("\n") + "\n");
console.log(`wrote ${train.length} + ${validation.length} conversations to data/chat-demo/`);
