// vgate chat page: one ES module, no dependencies, no build step.
//
// Safety rules this file keeps, and the page's Content-Security-Policy enforces:
// - model output, the user's text and server messages reach the DOM only as text (textContent, text nodes);
//   the small Markdown subset below builds elements with createElement and never parses HTML;
// - the policy turns on Trusted Types with no policy allowed, so any string assigned to innerHTML (or another
//   HTML sink) throws instead of rendering;
// - the API key lives in this tab's sessionStorage only: never localStorage, never a cookie, never a URL.

const CHAT_URL = '/v1/chat/completions';
const MODELS_URL = '/v1/models';
const KEY_STORAGE = 'vgate.apiKey';
const MODEL_STORAGE = 'vgate.model';

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
};

/** Turns the model answered, sent as context with the next message: [{role, content}]. */
let history = [];
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
    turn,
    conversation,
    controller: new AbortController(),
    stopped: false,
    done: false,
    sentAt: performance.now(),
    firstTokenAt: null,
    lastTokenAt: null,
    content: '',
    reasoning: '',
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
    await readStream(exchange, response);
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
  const reasoning = delta.reasoning_content ?? delta.reasoning;
  let grew = false;
  if (typeof reasoning === 'string' && reasoning) {
    exchange.reasoning += reasoning;
    grew = true;
  }
  if (typeof delta.content === 'string' && delta.content) {
    exchange.content += delta.content;
    grew = true;
  }
  if (grew) {
    const now = performance.now();
    exchange.firstTokenAt ??= now;
    exchange.lastTokenAt = now;
    exchange.deltas++;
    exchange.turn.setState('streaming');
    exchange.turn.scheduleRender(exchange.content, exchange.reasoning);
  }
  if (choice.finish_reason) {
    exchange.finishReason = choice.finish_reason;
  }
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
  turn.render(exchange.content, exchange.reasoning);
  const answered = exchange.content.length > 0;
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
    turn.addMeta([{ badge: 'stopped', text: 'Stopped' }, ...statsOf(exchange)]);
    if (answered) {
      remember(exchange);
    } else {
      turn.fail();
      turn.renderPlaceholder('Stopped before the first token.');
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
    remember(exchange);
  } else {
    turn.renderPlaceholder('(empty answer)');
  }
  announce('Answer complete.');
}

function remember(exchange) {
  if (exchange.conversation !== conversation) {
    return;
  }
  history.push({ role: 'user', content: exchange.text }, { role: 'assistant', content: exchange.content });
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
  turn.render(exchange.content, exchange.reasoning);
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
  const reasoning = el('details', 'reasoning');
  reasoning.hidden = true;
  const reasoningBody = el('div', 'reasoning-body');
  reasoning.append(el('summary', null, 'Reasoning'), reasoningBody);
  const body = el('div', 'message-body');
  const meta = el('div', 'message-meta');
  const assistantRole = el('div', 'message-role');
  assistantRole.append(el('span', 'role', 'Assistant'));
  if (model) {
    assistantRole.append(' ', el('span', 'model', model));
  }
  assistant.append(assistantRole, reasoning, body, meta);
  container.append(user, assistant);
  ui.transcript.append(container);
  scrollToEnd(true);

  let pending = null;
  const turn = {
    setState(state) {
      assistant.dataset.state = state;
      assistant.setAttribute('aria-busy', String(state === 'waiting' || state === 'streaming'));
    },
    scheduleRender(content, thought) {
      pending = [content, thought];
      if (pending && !turn.frame) {
        turn.frame = requestAnimationFrame(() => {
          turn.frame = 0;
          if (pending) {
            turn.render(...pending);
          }
        });
      }
    },
    render(content, thought) {
      pending = null;
      const follow = isNearEnd();
      if (thought) {
        reasoning.hidden = false;
        reasoningBody.textContent = thought;
      }
      renderMarkdown(body, content);
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

/**
 * Renders a safe Markdown subset with DOM APIs only: paragraphs, ATX headings (as bold lines), fenced code blocks
 * (an unclosed fence while streaming is shown as code), inline code and **bold**. Links are left as text on
 * purpose: model output must not produce clickable javascript: or phishing URLs.
 */
function renderMarkdown(target, text) {
  const nodes = [];
  let paragraph = [];
  let code = null;
  const flushParagraph = () => {
    if (paragraph.length) {
      nodes.push(inlineParagraph(paragraph.join('\n')));
      paragraph = [];
    }
  };
  const flushCode = () => {
    const pre = el('pre');
    const codeEl = el('code', null, code.lines.join('\n'));
    if (code.lang) {
      pre.dataset.lang = code.lang;
    }
    pre.append(codeEl);
    nodes.push(pre);
    code = null;
  };
  for (const line of text.split('\n')) {
    const fence = /^\s*(```|~~~)\s*([\w+#.-]*)\s*$/.exec(line);
    if (code) {
      if (fence && fence[1] === code.fence && !fence[2]) {
        flushCode();
      } else {
        code.lines.push(line);
      }
      continue;
    }
    if (fence) {
      flushParagraph();
      code = { fence: fence[1], lang: fence[2], lines: [] };
      continue;
    }
    if (line.trim() === '') {
      flushParagraph();
      continue;
    }
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      flushParagraph();
      nodes.push(inlineParagraph(heading[1], 'md-heading'));
      continue;
    }
    paragraph.push(line);
  }
  flushParagraph();
  if (code) {
    flushCode();
  }
  target.replaceChildren(...nodes);
}

function inlineParagraph(text, className = null) {
  const p = el('p', className);
  const pattern = /`([^`\n]+)`|\*\*([^*\n]+?)\*\*/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index > last) {
      p.append(document.createTextNode(text.slice(last, match.index)));
    }
    p.append(match[1] !== undefined ? el('code', null, match[1]) : el('strong', null, match[2]));
    last = match.index + match[0].length;
  }
  if (last < text.length) {
    p.append(document.createTextNode(text.slice(last)));
  }
  return p;
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
