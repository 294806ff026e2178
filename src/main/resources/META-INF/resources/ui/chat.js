// vgate chat page: one ES module, no dependencies, no build step.
//
// Safety rules this file keeps, and the page's Content-Security-Policy enforces:
// - model output, the user's text and server messages reach the DOM only as text (textContent, text nodes);
//   model Markdown is rendered by markdown.js, which builds elements with createElement and never parses HTML;
// - the policy turns on Trusted Types with no policy allowed, so any string assigned to innerHTML (or another
//   HTML sink) throws instead of rendering;
// - the API key, the conversation and the options live in this tab's sessionStorage only: never localStorage,
//   never a cookie, never a URL.

import { codeBlock, renderMarkdown } from './markdown.js';

const CHAT_URL = '/v1/chat/completions';
const MODELS_URL = '/v1/models';
const KEY_STORAGE = 'vgate.apiKey';
const MODEL_STORAGE = 'vgate.model';
const CONVERSATION_STORAGE = 'vgate.conversation';
const OPTIONS_STORAGE = 'vgate.options';

const ui = {
  main: document.querySelector('.main'),
  model: byId('model'),
  modelHint: byId('model-hint'),
  apiKey: byId('api-key'),
  newChat: byId('new-chat'),
  transcript: byId('transcript'),
  emptyState: byId('empty-state'),
  composer: byId('composer'),
  message: byId('message'),
  send: byId('send'),
  stop: byId('stop'),
  status: byId('status'),
  systemPrompt: byId('system-prompt'),
  temperature: byId('temperature'),
  maxTokens: byId('max-tokens'),
  optionsNote: byId('options-note'),
};

/** Turns the model answered, sent as context with the next message: [{role, content}]. */
let history = [];
/** The answered turns as shown, kept in sessionStorage so that a reload shows the same conversation. */
let shownTurns = [];
/** The exchange in flight, or null. */
let active = null;
/** Bumped by New chat, so that an answer still finishing cannot land in the next conversation. */
let conversation = 0;
/** Retry countdown timers, cleared by New chat. */
const countdowns = new Set();
/** Counts model-list loads; only the latest may fill the list. */
let modelsCall = 0;

// ---- start-up ---------------------------------------------------------------------------------------------------

ui.apiKey.value = storageGet(KEY_STORAGE) ?? '';
restoreOptions();
for (const field of [ui.systemPrompt, ui.temperature, ui.maxTokens]) {
  field.addEventListener('input', saveOptions);
}
ui.transcript.addEventListener('md-copy', (event) => {
  announce(event.detail?.copied ? 'Copied to the clipboard.' : 'Could not copy: the code is selected, press Ctrl+C.');
});
// A reload while an answer streams aborts it (and vgate aborts the generation): keep what arrived, as stopped.
window.addEventListener('pagehide', () => saveConversation(active));
ui.apiKey.addEventListener('input', () => {
  storageSet(KEY_STORAGE, ui.apiKey.value.trim());
  ui.apiKey.removeAttribute('aria-invalid');
});
ui.apiKey.addEventListener('change', loadModels);
ui.model.addEventListener('change', () => storageSet(MODEL_STORAGE, ui.model.value));
ui.newChat.addEventListener('click', newChat);
ui.stop.addEventListener('click', stopAnswer);
ui.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  submitMessage();
});
ui.message.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    submitMessage();
  }
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && active) {
    event.preventDefault();
    stopAnswer();
  }
});

setBusy(false);
restoreConversation();
loadModels();
ui.message.focus();

// ---- models -----------------------------------------------------------------------------------------------------

async function loadModels() {
  // Only the latest call may fill the list: the key can change while an earlier call is under way.
  const call = ++modelsCall;
  const current = () => call === modelsCall;
  setModelOptions([], 'Loading models…');
  ui.modelHint.textContent = '';
  let response;
  let models = [];
  try {
    response = await fetch(MODELS_URL, { headers: authHeaders(), cache: 'no-store' });
    if (response.ok) {
      const body = await response.json();
      models = (Array.isArray(body?.data) ? body.data : []).filter((model) => typeof model?.id === 'string');
    }
  } catch {
    if (current()) {
      setModelOptions([], 'Models unavailable');
      ui.modelHint.textContent = 'Could not reach vgate to list the models.';
    }
    return;
  }
  if (!current()) {
    return;
  }
  if (response.status === 401) {
    setModelOptions([], 'Enter an API key to list models');
    ui.modelHint.textContent = ui.apiKey.value.trim() ? 'The API key was rejected.' : 'An API key is needed.';
    return;
  }
  if (!response.ok) {
    setModelOptions([], 'Models unavailable');
    ui.modelHint.textContent = `Listing the models failed (HTTP ${response.status}).`;
    return;
  }
  if (models.length === 0) {
    // Requests without a model go to the server's default one.
    setModelOptions([], 'Server default model');
    return;
  }
  setModelOptions(models, null);
  const remembered = storageGet(MODEL_STORAGE);
  if (remembered && models.some((model) => model.id === remembered)) {
    ui.model.value = remembered;
  }
}

function setModelOptions(models, placeholder) {
  const options = [];
  if (placeholder !== null) {
    options.push(new Option(placeholder, ''));
  }
  for (const model of models) {
    const option = new Option(model.id, model.id);
    if (Number.isInteger(model.max_model_len)) {
      option.title = `Context window: ${model.max_model_len.toLocaleString()} tokens`;
    }
    options.push(option);
  }
  ui.model.replaceChildren(...options);
  ui.model.disabled = models.length === 0;
}

// ---- sending ----------------------------------------------------------------------------------------------------

function submitMessage() {
  const text = ui.message.value;
  if (active) {
    announce('Wait for the answer, or press Escape to stop it.');
    return;
  }
  if (!text.trim()) {
    ui.message.focus();
    return;
  }
  ui.message.value = '';
  ui.message.focus();
  sendMessage(text);
}

async function sendMessage(text) {
  ui.emptyState.hidden = true;
  const model = ui.model.value;
  const turn = createTurn(text, model);
  const exchange = {
    text,
    model,
    turn,
    finished: false,
    conversation,
    controller: new AbortController(),
    stopped: false,
    done: false,
    sentAt: performance.now(),
    firstTokenAt: null,
    lastTokenAt: null,
    content: '',
    reasoning: '',
    reasoningStartAt: null,
    reasoningEndAt: null,
    toolCalls: [],
    deltas: 0,
    usage: null,
    finishReason: null,
    streamError: null,
  };
  active = exchange;
  setBusy(true);
  announce('Waiting for the answer…');
  try {
    const response = await fetch(CHAT_URL, {
      method: 'POST',
      headers: { ...authHeaders(), 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      body: JSON.stringify(requestBody(model, text)),
      signal: exchange.controller.signal,
      cache: 'no-store',
    });
    if (!response.ok) {
      await failWithResponse(exchange, response);
      return;
    }
    showContextNotice(turn, response.headers);
    if ((response.headers.get('Content-Type') ?? '').includes('application/json')) {
      await readJsonAnswer(exchange, response); // a proxy or server that ignored stream: true
    } else {
      await readStream(exchange, response);
    }
    finish(exchange);
  } catch (error) {
    if (exchange.stopped) {
      finish(exchange);
    } else {
      failWithNetworkError(exchange, error);
    }
  } finally {
    active = null;
    setBusy(false);
  }
}

function requestBody(model, text) {
  const messages = [];
  const system = ui.systemPrompt.value.trim();
  if (system) {
    messages.push({ role: 'system', content: system });
  }
  messages.push(...history, { role: 'user', content: text });
  const body = { messages, stream: true, stream_options: { include_usage: true } };
  if (model) {
    body.model = model;
  }
  const temperature = Number.parseFloat(ui.temperature.value);
  if (Number.isFinite(temperature)) {
    body.temperature = temperature;
  }
  const maxTokens = Number.parseInt(ui.maxTokens.value, 10);
  if (Number.isInteger(maxTokens) && maxTokens > 0) {
    body.max_tokens = maxTokens;
  }
  return body;
}

function authHeaders() {
  const key = ui.apiKey.value.trim();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

function stopAnswer() {
  if (active && !active.done) {
    active.stopped = true;
    // Aborting the fetch closes the connection; vgate then aborts the generation in vLLM.
    active.controller.abort();
  }
}

function newChat() {
  stopAnswer();
  conversation++;
  history = [];
  shownTurns = [];
  saveConversation();
  for (const timer of countdowns) {
    clearInterval(timer);
  }
  countdowns.clear();
  ui.transcript.replaceChildren(ui.emptyState);
  ui.emptyState.hidden = false;
  announce('New conversation.');
  ui.message.focus();
}

function setBusy(busy) {
  ui.send.disabled = busy;
  ui.stop.hidden = !busy;
  ui.stop.disabled = !busy;
  ui.transcript.setAttribute('aria-busy', String(busy));
}

// ---- streaming --------------------------------------------------------------------------------------------------

async function readStream(exchange, response) {
  exchange.turn.setState('waiting');
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = sseParser((data) => onEvent(exchange, data));
  try {
    while (!exchange.done) {
      const { value, done } = await reader.read();
      if (done) {
        break;
      }
      parser.push(value);
    }
  } finally {
    if (exchange.done) {
      reader.cancel().catch(() => {});
    }
  }
}

function onEvent(exchange, data) {
  if (exchange.done) {
    return;
  }
  if (data === '[DONE]') {
    exchange.done = true;
    return;
  }
  let chunk;
  try {
    chunk = JSON.parse(data);
  } catch {
    return; // vLLM sends JSON only; anything else is not ours to show
  }
  if (chunk?.error) {
    // vLLM and vgate report a failure after the stream started as one error event, then [DONE].
    exchange.streamError = chunk.error;
    return;
  }
  if (chunk?.usage) {
    exchange.usage = chunk.usage;
  }
  const choice = Array.isArray(chunk?.choices) ? chunk.choices.find((c) => (c?.index ?? 0) === 0) : undefined;
  if (!choice) {
    return;
  }
  const delta = choice.delta ?? {};
  // vLLM ≥ 0.16 sends `reasoning`; older releases `reasoning_content` (0.11.1–0.15 both, with the same text).
  const reasoning = typeof delta.reasoning === 'string' ? delta.reasoning : delta.reasoning_content;
  const now = performance.now();
  let grew = false;
  if (typeof reasoning === 'string' && reasoning) {
    exchange.reasoning += reasoning;
    exchange.reasoningStartAt ??= now;
    grew = true;
  }
  let answered = false;
  if (typeof delta.content === 'string' && delta.content) {
    exchange.content += delta.content;
    answered = true;
  }
  if (Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0) {
    mergeToolCalls(exchange.toolCalls, delta.tool_calls);
    answered = true;
  }
  if (answered && exchange.reasoningStartAt !== null) {
    exchange.reasoningEndAt ??= now;
  }
  if (grew || answered) {
    exchange.firstTokenAt ??= now;
    exchange.lastTokenAt = now;
    exchange.deltas++;
    exchange.turn.setState('streaming');
    exchange.turn.scheduleRender(outputOf(exchange));
  }
  if (choice.finish_reason) {
    exchange.finishReason = choice.finish_reason;
  }
}

/**
 * Adds streamed tool-call fragments to the calls so far. The first fragment of a call carries its index, id, type
 * and function name; later ones carry the index and a piece of the arguments, to be appended (vLLM's `required`
 * mode repeats `"name": null`, which must not erase the name).
 */
function mergeToolCalls(calls, fragments) {
  for (const fragment of fragments) {
    if (!fragment || typeof fragment !== 'object') {
      continue;
    }
    const index = Number.isInteger(fragment.index) ? fragment.index : 0;
    let call = calls.find((c) => c.index === index);
    if (!call) {
      call = { index, id: null, type: 'function', name: '', arguments: '' };
      calls.push(call);
      calls.sort((a, b) => a.index - b.index);
    }
    if (typeof fragment.id === 'string' && fragment.id) {
      call.id = fragment.id;
    }
    if (typeof fragment.type === 'string' && fragment.type) {
      call.type = fragment.type;
    }
    const fn = fragment.function;
    if (fn && typeof fn === 'object') {
      if (typeof fn.name === 'string' && fn.name) {
        call.name = fn.name;
      }
      if (typeof fn.arguments === 'string') {
        call.arguments += fn.arguments;
      }
    }
  }
}

/** What the turn shows of an exchange: answer, reasoning (and whether it is still going on) and tool calls. */
function outputOf(exchange) {
  const reasoningMs = exchange.reasoningStartAt === null
    ? null
    : (exchange.reasoningEndAt ?? exchange.lastTokenAt) - exchange.reasoningStartAt;
  return {
    content: exchange.content,
    reasoning: exchange.reasoning,
    thinking: exchange.reasoningEndAt === null && !exchange.done && !exchange.stopped && !exchange.finished,
    reasoningMs,
    toolCalls: exchange.toolCalls.map((call) => ({ ...call })),
  };
}

/** A complete chat.completion object, for a server that answered without streaming. */
async function readJsonAnswer(exchange, response) {
  exchange.turn.setState('waiting');
  const body = await response.json();
  const now = performance.now();
  if (body?.error) {
    exchange.streamError = body.error;
    exchange.done = true;
    return;
  }
  const choice = Array.isArray(body?.choices) ? body.choices.find((c) => (c?.index ?? 0) === 0) : undefined;
  const message = choice?.message ?? {};
  exchange.content = typeof message.content === 'string' ? message.content : '';
  const reasoning = typeof message.reasoning === 'string' ? message.reasoning : message.reasoning_content;
  exchange.reasoning = typeof reasoning === 'string' ? reasoning : '';
  if (Array.isArray(message.tool_calls)) {
    mergeToolCalls(exchange.toolCalls, message.tool_calls.map((call, index) => ({ index, ...call })));
  }
  exchange.finishReason = choice?.finish_reason ?? null;
  exchange.usage = body?.usage ?? null;
  exchange.firstTokenAt = now;
  exchange.lastTokenAt = now;
  exchange.done = true;
}

/**
 * A server-sent events parser for a text stream (EventSource cannot POST): calls onData with each event's data
 * (its data lines joined by newlines). Handles LF, CRLF and CR line ends split anywhere across chunks; ignores
 * comments and other fields.
 */
function sseParser(onData) {
  let buffer = '';
  let data = null;
  const line = (text) => {
    if (text === '') {
      if (data !== null) {
        const event = data.join('\n');
        data = null;
        onData(event);
      }
      return;
    }
    if (text.startsWith(':')) {
      return;
    }
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) {
      value = value.slice(1);
    }
    if (field === 'data') {
      (data ??= []).push(value);
    }
  };
  return {
    push(chunk) {
      buffer += chunk;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer.charCodeAt(i);
        if (c !== 10 && c !== 13) {
          continue;
        }
        if (c === 13 && i + 1 === buffer.length) {
          break; // a CR at the end may be the first half of CRLF: wait for the next chunk
        }
        line(buffer.slice(start, i));
        if (c === 13 && buffer.charCodeAt(i + 1) === 10) {
          i++;
        }
        start = i + 1;
      }
      buffer = buffer.slice(start);
    },
  };
}

// ---- outcomes ---------------------------------------------------------------------------------------------------

function finish(exchange) {
  const { turn } = exchange;
  exchange.finished = true;
  turn.render(outputOf(exchange));
  const answered = hasAnswer(exchange);
  if (exchange.streamError) {
    const error = exchange.streamError;
    turn.setState('failed');
    turn.fail();
    turn.addMeta(statsOf(exchange));
    turn.addNotice(errorNotice({
      title: 'The model stopped with an error',
      message: typeof error.message === 'string' && error.message ? error.message : 'The server reported an error.',
      meta: errorMeta(null, error.code, error.type, null),
      retry: () => retryTurn(exchange),
    }));
    announce('The answer failed.');
    return;
  }
  if (exchange.stopped) {
    turn.setState('stopped');
    const meta = [{ badge: 'stopped', text: 'Stopped' }, ...statsOf(exchange)];
    turn.addMeta(meta);
    if (answered) {
      remember(exchange, 'stopped', meta);
    } else {
      turn.fail();
      turn.renderPlaceholder(exchange.reasoning ? 'Stopped while thinking.' : 'Stopped before the first token.');
    }
    announce('Stopped.');
    return;
  }
  if (!exchange.done) {
    turn.setState('failed');
    turn.fail();
    turn.addMeta(statsOf(exchange));
    turn.addNotice(errorNotice({
      title: 'The answer was cut off',
      message: 'The connection closed before the answer was complete.',
      retry: () => retryTurn(exchange),
    }));
    announce('The answer was cut off.');
    return;
  }
  turn.setState('done');
  const meta = statsOf(exchange);
  if (exchange.finishReason === 'length') {
    meta.unshift({ badge: 'length', text: 'Max tokens reached', title: 'The answer hit its max_tokens limit (finish_reason: length).' });
  }
  turn.addMeta(meta);
  if (answered) {
    remember(exchange, 'done', meta);
  } else {
    turn.renderPlaceholder(exchange.reasoning ? '(no answer after the reasoning)' : '(empty answer)');
  }
  announce('Answer complete.');
}

/** True when the model answered with text or tool calls (reasoning alone is not an answer). */
function hasAnswer(exchange) {
  return exchange.content.length > 0 || exchange.toolCalls.length > 0;
}

/** Adds an answered exchange to the conversation sent with the next message, and to the tab's saved copy. */
function remember(exchange, state, meta) {
  if (exchange.conversation !== conversation) {
    return;
  }
  // The page cannot run tools, so a tool call goes back as the (possibly empty) text that came with it.
  history.push({ role: 'user', content: exchange.text }, { role: 'assistant', content: exchange.content });
  shownTurns.push(savedTurn(exchange, state, meta));
  saveConversation();
}

function savedTurn(exchange, state, meta) {
  const output = outputOf(exchange);
  output.thinking = false;
  return { text: exchange.text, model: exchange.model, state, output, meta };
}

// ---- the tab's copy of the conversation -------------------------------------------------------------------------

/** Saves the conversation; `partial`, an exchange still streaming, is saved as stopped (the page is going away). */
function saveConversation(partial = null) {
  const turns = [...shownTurns];
  const messages = [...history];
  if (partial && !partial.finished && partial.conversation === conversation && hasAnswer(partial)) {
    turns.push(savedTurn(partial, 'stopped', [{ badge: 'stopped', text: 'Stopped' }, ...statsOf(partial)]));
    messages.push({ role: 'user', content: partial.text }, { role: 'assistant', content: partial.content });
  }
  if (turns.length === 0) {
    storageSet(CONVERSATION_STORAGE, null);
    return;
  }
  storageSet(CONVERSATION_STORAGE, JSON.stringify({ version: 1, history: messages, turns }));
}

/** Shows the conversation this tab had before a reload. Anything unreadable is dropped, never half-shown. */
function restoreConversation() {
  let saved;
  try {
    saved = JSON.parse(storageGet(CONVERSATION_STORAGE) ?? 'null');
  } catch {
    saved = null;
  }
  const valid = saved?.version === 1
    && Array.isArray(saved.history) && saved.history.every(isMessage)
    && Array.isArray(saved.turns) && saved.turns.every(isSavedTurn);
  if (!valid) {
    storageSet(CONVERSATION_STORAGE, null);
    return;
  }
  history = saved.history;
  shownTurns = saved.turns;
  for (const saved of shownTurns) {
    const turn = createTurn(saved.text, saved.model);
    turn.setState(saved.state);
    turn.render(saved.output);
    turn.addMeta(saved.meta);
  }
  ui.emptyState.hidden = shownTurns.length > 0;
  scrollToEnd(true);
}

function isMessage(message) {
  return ['user', 'assistant'].includes(message?.role) && typeof message.content === 'string';
}

function isSavedTurn(turn) {
  const output = turn?.output;
  return typeof turn?.text === 'string' && typeof turn.model === 'string'
    && ['done', 'stopped'].includes(turn.state)
    && typeof output?.content === 'string' && typeof output.reasoning === 'string'
    && Array.isArray(output.toolCalls)
    && output.toolCalls.every((call) => typeof call?.name === 'string' && typeof call.arguments === 'string')
    && Array.isArray(turn.meta) && turn.meta.every((item) => typeof item?.text === 'string');
}

function saveOptions() {
  const options = {
    system: ui.systemPrompt.value,
    temperature: ui.temperature.value,
    maxTokens: ui.maxTokens.value,
  };
  storageSet(OPTIONS_STORAGE, Object.values(options).some(Boolean) ? JSON.stringify(options) : null);
  showOptionsNote();
}

function restoreOptions() {
  try {
    const options = JSON.parse(storageGet(OPTIONS_STORAGE) ?? '{}');
    ui.systemPrompt.value = typeof options?.system === 'string' ? options.system : '';
    ui.temperature.value = typeof options?.temperature === 'string' ? options.temperature : '';
    ui.maxTokens.value = typeof options?.maxTokens === 'string' ? options.maxTokens : '';
  } catch {
    storageSet(OPTIONS_STORAGE, null);
  }
  showOptionsNote();
}

/** Says on the closed Options line what is set, so that a system prompt is never sent unnoticed. */
function showOptionsNote() {
  const notes = [];
  if (ui.systemPrompt.value.trim()) {
    notes.push('system prompt');
  }
  if (ui.temperature.value.trim()) {
    notes.push(`temperature ${ui.temperature.value.trim()}`);
  }
  if (ui.maxTokens.value.trim()) {
    notes.push(`max ${ui.maxTokens.value.trim()} tokens`);
  }
  ui.optionsNote.textContent = notes.length ? `· ${notes.join(', ')}` : '';
}

/** Time to first token, decode speed and token count of one answer, as meta items. */
function statsOf(exchange) {
  const items = [];
  if (exchange.firstTokenAt !== null) {
    items.push({
      stat: 'ttft',
      text: `TTFT ${formatMs(exchange.firstTokenAt - exchange.sentAt)}`,
      title: 'Time to first token: from sending the message to the first piece of the answer.',
    });
  }
  let tokens = Number.isInteger(exchange.usage?.completion_tokens) ? exchange.usage.completion_tokens : null;
  const estimated = tokens === null;
  if (estimated && exchange.deltas > 0) {
    tokens = exchange.deltas;
  }
  const decodeMs = exchange.lastTokenAt !== null ? exchange.lastTokenAt - exchange.firstTokenAt : 0;
  if (tokens !== null && tokens > 1 && decodeMs > 0) {
    const rate = (tokens - 1) / (decodeMs / 1000);
    items.push({
      stat: 'tps',
      text: `${estimated ? '≈ ' : ''}${rate.toFixed(1)} tokens/s`,
      title: estimated
        ? 'Estimated from the stream\'s chunks: the server sent no token count.'
        : 'Output tokens after the first one, divided by the time they took to arrive.',
    });
  }
  if (tokens !== null) {
    items.push({
      stat: 'tokens',
      text: `${estimated ? '≈ ' : ''}${tokens} ${tokens === 1 ? 'token' : 'tokens'}`,
      title: exchange.usage?.prompt_tokens !== undefined ? `Prompt: ${exchange.usage.prompt_tokens} tokens.` : '',
    });
  }
  return items;
}

async function failWithResponse(exchange, response) {
  const { turn } = exchange;
  const problem = await readProblem(response);
  const { status } = response;
  const retryAfter = retryAfterSeconds(response.headers);
  const description = describe(status, problem.code);
  turn.setState('failed');
  turn.fail();
  const lines = [];
  if (problem.message) {
    lines.push(problem.message);
  }
  if (description.hint) {
    lines.push(description.hint);
  }
  if ((status === 429 || status === 503) && retryAfter === null) {
    lines.push('Wait a moment, then retry.');
  }
  turn.addNotice(errorNotice({
    title: description.title,
    message: lines,
    meta: errorMeta(status, problem.code, problem.type, response.headers),
    retryAfter,
    retry: () => retryTurn(exchange),
  }));
  if (status === 401) {
    ui.apiKey.setAttribute('aria-invalid', 'true');
    ui.apiKey.focus();
    ui.apiKey.select();
  }
  announce(`${description.title}.`);
}

function failWithNetworkError(exchange, error) {
  const { turn } = exchange;
  const started = exchange.firstTokenAt !== null;
  turn.setState('failed');
  turn.fail();
  exchange.finished = true;
  turn.render(outputOf(exchange));
  turn.addNotice(errorNotice({
    title: started ? 'The connection was interrupted' : 'Could not reach vgate',
    message: started
      ? 'The stream broke off before the answer was complete.'
      : 'The request did not get through. Check the network connection and that vgate is running.',
    meta: error instanceof Error ? error.message : null,
    retry: () => retryTurn(exchange),
  }));
  announce(started ? 'The connection was interrupted.' : 'Could not reach vgate.');
}

function retryTurn(exchange) {
  if (active) {
    announce('Wait for the current answer, or press Escape to stop it.');
    return;
  }
  exchange.turn.remove();
  sendMessage(exchange.text);
}

async function readProblem(response) {
  let text = '';
  try {
    text = await response.text();
  } catch {
    // The body could not be read; the status alone still says what happened.
  }
  try {
    const body = JSON.parse(text);
    const error = body?.error;
    if (error && typeof error === 'object') {
      return {
        message: typeof error.message === 'string' ? error.message : null,
        code: error.code ?? null,
        type: typeof error.type === 'string' ? error.type : null,
      };
    }
    if (typeof body?.detail === 'string') {
      return { message: body.detail, code: null, type: null };
    }
  } catch {
    // Not JSON (an HTML page from a proxy, say): not worth showing.
  }
  return { message: null, code: null, type: null };
}

const CODE_HINTS = {
  invalid_api_key: 'Check the API key.',
  rate_limit_exceeded: 'Requests are coming faster than this key or address is allowed.',
  queue_full: 'Every generation slot is busy and the waiting line is full.',
  queue_timeout: 'The request waited too long for a free generation slot.',
  context_length_exceeded: 'The conversation is longer than the model can read: start a new chat.',
};

function describe(status, code) {
  const hint = typeof code === 'string' ? CODE_HINTS[code] ?? null : null;
  const hasKey = ui.apiKey.value.trim() !== '';
  switch (status) {
    case 400:
    case 422:
      return { title: 'Request rejected', hint };
    case 401:
      return {
        title: hasKey ? 'API key rejected' : 'API key needed',
        hint: hasKey ? 'Enter a valid API key above, then retry.' : 'Enter your API key above, then retry.',
      };
    case 403:
      return { title: 'Not allowed', hint: hint ?? 'This key may not use this model.' };
    case 404:
      return { title: 'Not found', hint: hint ?? 'The model may no longer be served: reload the page to refresh the list.' };
    case 413:
      return { title: 'Conversation too large', hint: 'Start a new chat or shorten the message.' };
    case 429:
      return { title: 'Too many requests', hint };
    case 502:
      return { title: 'Model server unavailable', hint: hint ?? 'vgate could not reach the model server.' };
    case 503:
      return { title: 'vgate is busy', hint: hint ?? 'The model server cannot take the request right now.' };
    case 504:
      return { title: 'Model server timed out', hint };
    default:
      return { title: status >= 500 ? `Server error (HTTP ${status})` : `Request failed (HTTP ${status})`, hint };
  }
}

function errorMeta(status, code, type, headers) {
  const parts = [];
  if (status !== null) {
    parts.push(`HTTP ${status}`);
  }
  if (typeof code === 'string' && code) {
    parts.push(code);
  }
  if (type) {
    parts.push(type);
  }
  if (headers) {
    const limit = headers.get('RateLimit-Limit');
    const remaining = headers.get('RateLimit-Remaining');
    if (limit !== null && remaining !== null) {
      parts.push(`limit ${limit}, remaining ${remaining}`);
    }
    const requestId = headers.get('X-Request-Id');
    if (requestId) {
      parts.push(`request ${requestId}`);
    }
  }
  return parts.length ? parts.join(' · ') : null;
}

/** Seconds to wait from Retry-After (delta seconds or an HTTP date), else RateLimit-Reset; null when neither. */
function retryAfterSeconds(headers) {
  const retryAfter = headers.get('Retry-After')?.trim();
  if (retryAfter) {
    if (/^\d+$/.test(retryAfter)) {
      return Number.parseInt(retryAfter, 10);
    }
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) {
      return Math.max(0, Math.ceil((date - Date.now()) / 1000));
    }
  }
  const reset = headers.get('RateLimit-Reset')?.trim();
  if (reset && /^\d+$/.test(reset)) {
    return Number.parseInt(reset, 10);
  }
  return null;
}

function showContextNotice(turn, headers) {
  const context = headers.get('X-Vgate-Context');
  if (!context) {
    return;
  }
  const kinds = context.toLowerCase().split(/[\s,|]+/);
  const trimmed = Number.parseInt(headers.get('X-Vgate-Trimmed-Messages') ?? '', 10);
  const maxTokens = Number.parseInt(headers.get('X-Vgate-Max-Tokens') ?? '', 10);
  const promptTokens = Number.parseInt(headers.get('X-Vgate-Prompt-Tokens') ?? '', 10);
  const lines = [];
  if (kinds.includes('trimmed')) {
    lines.push(Number.isInteger(trimmed) && trimmed > 0
      ? `${trimmed} earlier ${trimmed === 1 ? 'message was' : 'messages were'} left out to fit the model's context window.`
      : 'Earlier messages were left out to fit the model\'s context window.');
  }
  if (kinds.includes('clamped')) {
    lines.push(Number.isInteger(maxTokens)
      ? `The answer is limited to ${maxTokens} tokens to fit the context window.`
      : 'The answer length was limited to fit the context window.');
  }
  if (lines.length === 0) {
    lines.push(`vgate adjusted the request to fit the context window (${context}).`);
  }
  if (Number.isInteger(promptTokens)) {
    lines.push(`Prompt: ${promptTokens} tokens.`);
  }
  const title = kinds.includes('trimmed') ? 'Conversation trimmed' : 'Answer length limited';
  turn.addNotice(notice('info', title, lines), true);
}

// ---- DOM: turns, notices, text ----------------------------------------------------------------------------------

function createTurn(text, model) {
  const container = el('div', 'turn');
  const user = el('div', 'message user');
  const userRole = el('div', 'message-role');
  userRole.append(el('span', 'role', 'You'));
  user.append(userRole, el('div', 'message-body', text));
  const assistant = el('div', 'message assistant');
  assistant.dataset.state = 'waiting';
  assistant.setAttribute('aria-busy', 'true');
  // Reasoning sits above the answer, collapsed: a click (or Enter on the summary) shows it.
  const reasoning = el('details', 'reasoning');
  reasoning.hidden = true;
  const reasoningSummary = el('summary', null, 'Thinking…');
  const reasoningBody = el('div', 'reasoning-body markdown');
  reasoning.append(reasoningSummary, reasoningBody);
  const body = el('div', 'message-body');
  const tools = el('div', 'tool-calls');
  const toolNodes = new Map();
  const meta = el('div', 'message-meta');
  const assistantRole = el('div', 'message-role');
  assistantRole.append(el('span', 'role', 'Assistant'));
  if (model) {
    assistantRole.append(' ', el('span', 'model', model));
  }
  assistant.append(assistantRole, reasoning, body, tools, meta);
  container.append(user, assistant);
  ui.transcript.append(container);
  scrollToEnd(true);

  let pending = null;
  const turn = {
    setState(state) {
      assistant.dataset.state = state;
      assistant.setAttribute('aria-busy', String(state === 'waiting' || state === 'streaming'));
    },
    /** Renders at most once per frame, however fast deltas arrive. */
    scheduleRender(output) {
      pending = output;
      if (!turn.frame) {
        turn.frame = requestAnimationFrame(() => {
          turn.frame = 0;
          if (pending) {
            turn.render(pending);
          }
        });
      }
    },
    render(output) {
      pending = null;
      const follow = isNearEnd();
      if (output.reasoning) {
        reasoning.hidden = false;
        reasoning.dataset.state = output.thinking ? 'thinking' : 'done';
        reasoningSummary.textContent = output.thinking
          ? 'Thinking…'
          : output.reasoningMs > 0 ? `Thought for ${formatMs(output.reasoningMs)}` : 'Reasoning';
        renderMarkdown(reasoningBody, output.reasoning);
      }
      renderMarkdown(body, output.content);
      renderToolCalls(tools, toolNodes, output.toolCalls);
      scrollToEnd(follow);
    },
    renderPlaceholder(textValue) {
      if (!body.textContent) {
        body.replaceChildren(el('p', 'placeholder', textValue));
      }
    },
    fail() {
      user.classList.add('failed');
      user.title = 'Not part of the conversation sent to the model.';
    },
    addMeta(items) {
      for (const item of items) {
        const span = el('span', item.badge ? `badge ${item.badge}` : 'stat', item.text);
        if (item.stat) {
          span.dataset.stat = item.stat;
        }
        if (item.title) {
          span.title = item.title;
        }
        meta.append(span);
      }
    },
    addNotice(node, beforeAnswer = false) {
      if (beforeAnswer) {
        body.before(node);
      } else {
        assistant.append(node);
      }
      scrollToEnd(true);
    },
    remove() {
      container.remove();
    },
    frame: 0,
  };
  return turn;
}

/** Each tool call as a block named after its function, with its arguments (pretty-printed once they are JSON). */
function renderToolCalls(container, nodes, calls) {
  for (const call of calls) {
    let node = nodes.get(call.index);
    if (!node) {
      node = el('div', 'tool-call');
      const head = el('div', 'tool-call-head');
      head.append(el('span', 'tool-call-kind', 'Tool call'), el('code', 'tool-call-name'), el('span', 'tool-call-id'));
      node.append(head, codeBlock({ lang: 'json', code: '' }));
      nodes.set(call.index, node);
      container.append(node);
    }
    node.dataset.index = String(call.index);
    node.querySelector('.tool-call-name').textContent = call.name || '(unnamed function)';
    const id = node.querySelector('.tool-call-id');
    id.textContent = call.id ?? '';
    id.title = call.id ? 'Tool call id' : '';
    const { text, complete } = formatArguments(call.arguments);
    node.dataset.complete = String(complete);
    const code = node.querySelector('pre code');
    if (code.textContent !== text) {
      code.textContent = text;
    }
  }
}

/** Arguments pretty-printed when they are complete JSON; the raw text while they are still arriving. */
function formatArguments(raw) {
  if (!raw.trim()) {
    return { text: '{}', complete: false };
  }
  try {
    return { text: JSON.stringify(JSON.parse(raw), null, 2), complete: true };
  } catch {
    return { text: raw, complete: false };
  }
}

function notice(kind, title, lines) {
  const node = el('div', `notice ${kind}`);
  node.append(el('p', 'notice-title', title));
  for (const line of [].concat(lines ?? [])) {
    if (line) {
      node.append(el('p', 'notice-body', line));
    }
  }
  return node;
}

function errorNotice({ title, message, meta, retryAfter = null, retry }) {
  const node = notice('error', title, message);
  if (meta) {
    node.append(el('p', 'notice-meta', meta));
  }
  const actions = el('div', 'notice-actions');
  const button = el('button', 'button small secondary retry', 'Retry');
  button.type = 'button';
  button.addEventListener('click', retry);
  actions.append(button);
  node.append(actions);
  if (retryAfter !== null && retryAfter > 0) {
    const countdown = el('span', 'countdown');
    actions.append(countdown);
    startCountdown(retryAfter, countdown, button);
  }
  return node;
}

/** Counts down to the server's Retry-After; the Retry button unlocks at zero. */
function startCountdown(seconds, label, button) {
  const deadline = Date.now() + seconds * 1000;
  button.disabled = true;
  const tick = () => {
    const left = Math.ceil((deadline - Date.now()) / 1000);
    if (left > 0) {
      label.textContent = `You can retry in ${left} s.`;
      return;
    }
    clearInterval(timer);
    countdowns.delete(timer);
    label.textContent = 'You can retry now.';
    button.disabled = false;
    announce('You can retry now.');
  };
  const timer = setInterval(tick, 250);
  countdowns.add(timer);
  tick();
}

/** An element with an optional class and text content; text is never parsed as HTML. */
function el(tag, className = null, text = null) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== null) {
    node.textContent = text;
  }
  return node;
}

function isNearEnd() {
  const { main } = ui;
  return main.scrollHeight - main.scrollTop - main.clientHeight < 96;
}

function scrollToEnd(follow) {
  if (follow) {
    ui.main.scrollTop = ui.main.scrollHeight;
  }
}

function announce(text) {
  ui.status.textContent = text;
}

function formatMs(ms) {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

function byId(id) {
  return document.getElementById(id);
}

function storageGet(key) {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

function storageSet(key, value) {
  try {
    if (value) {
      sessionStorage.setItem(key, value);
    } else {
      sessionStorage.removeItem(key);
    }
  } catch {
    // Storage may be off (private modes); the key then lives in the field only.
  }
}
