/**
 * The relay: the event stream feeds the pipeline, and each delivery goes to the chat backends
 * that serve its destinations. A failing backend never stops the stream or the other backends.
 * What people write to the relay goes to the command dispatcher; its replies go back through the
 * backend the message came from, to where it was written.
 */
import { isDeepStrictEqual } from 'node:util';
import { systemClock, type Clock, type Random, type TimerHandle } from './clock.js';
import { DEFAULT_COMMANDS, DEFAULT_NOISE, type ChatConfig, type NoiseConfig, type RelayConfig } from './config/index.js';
import type { BackendDependencies, ChatBackend, IncomingMessage } from './chat/backend.js';
import { configuredAddressNames, createBackends } from './chat/registry.js';
import { AccessControl, defaultAccess } from './commands/access.js';
import { AuditLog } from './commands/audit.js';
import { Dispatcher } from './commands/dispatcher.js';
import { HealthServer, RelayMetrics } from './health.js';
import { COMMANDS } from './commands/index.js';
import { IcingaActions } from './icinga/actions.js';
import { IcingaConnection, type ConnectionSettings } from './icinga/connection.js';
import type { IcingaEvent } from './icinga/event-types.js';
import { OBJECT_EVENT_TYPES, ObjectCache } from './icinga/object-cache.js';
import { EventStream } from './icinga/stream.js';
import type { Logger } from './log.js';
import type { RelayMessage } from './message.js';
import { NoiseControl, type NoiseCount } from './noise/index.js';
import { Pipeline } from './pipeline.js';
import { CatchUp, HardStateStore, readCurrentStates } from './catchup.js';
import { DEFAULT_FORGET_AFTER_MS, ProblemBook } from './problems/book.js';
import { ActionEchoes } from './problems/echoes.js';
import { referenced } from './problems/referenced.js';
import { SilenceWatch, type SilenceState } from './silence.js';
import { objectUrl, type WebConfig } from './web-links.js';
import { createMentions, createRouter, routesNeedObjects } from './router.js';

/** An event's fate in one destination, by what noise control reported. */
const NOISE_FATES: Record<NoiseCount, string> = {
  deduplicated: 'dropped: deduplicated',
  flapping: 'held back: flapping',
  muted: 'dropped: muted',
  grouped: 'grouped into a storm summary',
  suppressed: 'rate-limited: counted into a suppression notice',
};

export interface RelayDependencies {
  logger: Logger;
  clock?: Clock;
  random?: Random;
  /** Instead of the backends the config names (Relay.create() makes those): for tests. */
  backends?: ChatBackend[];
  /** Makes the backends the config names; src/chat/registry.ts unless a test says otherwise. */
  createBackends?: (chat: ChatConfig, dependencies: BackendDependencies) => Promise<ChatBackend[]>;
  /** Backends among `backends` that are connected already (carried over by replace()): start() does not connect them again. */
  connected?: readonly ChatBackend[];
  /** Noise control carried over by replace() when the noise settings did not change. */
  noise?: NoiseControl;
  /** The hard states carried over by replace(), with the changes not yet delivered. */
  hardStates?: HardStateStore;
  /** The open problems, carried over by replace(). */
  problems?: ProblemBook;
  /** Where contact with Icinga2 stood in the relay this one replaces: an outage spans a reload. */
  contact?: Contact;
}

/** Contact with Icinga2 as a reload carries it over. */
export interface Contact {
  /** The stream had connected: its next connect ends a gap, not the start. */
  streamWasUp: boolean;
  silence: SilenceState;
  /** The hard states (carried with them) were read: the next reading reports, not records. */
  caughtUp: boolean;
}

export interface StopOptions {
  /**
   * How long the backends that close may take to send what is still queued (the stream stops
   * first, so nothing new arrives); what noise control holds back is let out first (see
   * NoiseControl.flush). 0, the default, closes at once and only logs what was waiting.
   */
  flushMs?: number;
  /** Backends that stay connected for the relay that replaces this one: neither flushed nor closed. */
  keep?: readonly ChatBackend[];
  /** Noise control goes on in the relay that replaces this one: left running. */
  keepNoise?: boolean;
}

export function connectionSettings(icinga: RelayConfig['icinga']): ConnectionSettings {
  const { auth } = icinga;
  return {
    caPem: icinga.ca,
    files: { ca: icinga.caFile, ...(auth.kind === 'certificate' && { cert: auth.certFile, key: auth.keyFile }) },
    requestTimeoutMs: icinga.requestTimeoutMs,
    auth:
      auth.kind === 'password'
        ? { method: 'password', username: auth.username, password: auth.password, passwordFile: auth.passwordFile }
        : { method: 'certificate', certPem: auth.cert, keyPem: auth.key },
  };
}

/** How long start() waits for the chat backends to connect before it starts reading events anyway. */
export const START_WAIT_MS = 10_000;

export class Relay {
  readonly stream: EventStream;
  readonly backends: readonly ChatBackend[];
  readonly commands: Dispatcher;
  private readonly backendByDestination = new Map<string, ChatBackend>();
  private readonly pipeline: Pipeline;
  private readonly logger: Logger;
  private readonly chat: RelayConfig['chat'];
  /** What decides whether replace() can carry noise control over. */
  private readonly noiseSettings: { noise: NoiseConfig; width: number };
  /** How long SIGTERM lets the outgoing queues drain (shutdown.flush). */
  readonly shutdownFlushMs: number;
  /**
   * For the commands' actions and the object cache; the event stream has its own, which it closes
   * and reopens. With several Icinga2 URLs it follows the stream: each time the stream connects,
   * this one switches to the same URL (see the 'status' listener).
   */
  private readonly actionsConnection: IcingaConnection;
  /** The chat commands' Icinga2 actions; what they did is checked again after each reconnect. */
  private readonly actions: IcingaActions;
  /** Prometheus metrics, on this relay's own registry. */
  readonly metrics: RelayMetrics;
  /** The /healthz and /metrics listener, when the config has an http section. */
  private readonly health: HealthServer | undefined;
  private readonly clock: Clock;
  /** Only when a route matches on groups or vars. */
  readonly objects: ObjectCache | undefined;
  /** Object* types the relay subscribes to for the object cache only: never relayed. */
  private readonly cacheOnlyTypes: ReadonlySet<string>;
  private readonly audit: AuditLog;
  /** Between routing and the backends: dedup, flapping, mutes, storm grouping, rate limits. */
  readonly noise: NoiseControl;
  /** Reports what changed while the stream was down or the relay stopped (src/catchup.ts). */
  readonly catchUp: CatchUp;
  private readonly hardStates: HardStateStore;
  /** Who a route asks to call in a destination (route.mention). */
  private readonly mentions: (message: RelayMessage, destination: string) => readonly string[];
  /** Icinga Web, for links (the web section). */
  private readonly web: WebConfig | undefined;
  /** Folds the events an action causes into one line (src/problems/echoes.ts). */
  private readonly echoes: ActionEchoes;
  /** Open problems and their references, per destination (src/problems/book.ts). */
  readonly problems: ProblemBook;
  private readonly silence: SilenceWatch;
  private streamWasUp: boolean;
  private readonly dependencies: RelayDependencies;
  private readonly alreadyConnected: ReadonlySet<ChatBackend>;
  /** Set by replace() when the next relay took the hard states over: stop() leaves them to it. */
  private hardStatesHandedOver = false;
  /** Set by stop(): a backend carried over to the next relay no longer runs this one's commands. */
  private stopped = false;
  /** Logs each event's fate at debug. */
  private readonly eventLogger: Logger;
  private readonly softStates: boolean;
  /** While an event is submitted to a destination at debug level: what noise control did with it. */
  private fates: { destination: string; message: RelayMessage; passed?: boolean; kind?: NoiseCount } | undefined;
  /** log.deliveries: one info line per message sent. */
  private readonly logDeliveries: boolean;

  /** A relay with the chat backends its config names, unless `dependencies` brings them. */
  static async create(config: RelayConfig, dependencies: RelayDependencies): Promise<Relay> {
    const backends = dependencies.backends ?? (await (dependencies.createBackends ?? createBackends)(config.chat, { logger: dependencies.logger, logDeliveries: config.log.deliveries }));
    return new Relay(config, { ...dependencies, backends });
  }

  /** With the backends made: Relay.create() makes them from the config. */
  constructor(config: RelayConfig, dependencies: RelayDependencies & { backends: ChatBackend[] }) {
    this.chat = config.chat;
    this.noiseSettings = { noise: config.noise ?? DEFAULT_NOISE, width: config.format.width };
    this.shutdownFlushMs = config.shutdown.flushMs;
    this.logger = dependencies.logger;
    this.eventLogger = this.logger.child('events');
    this.softStates = config.format.softStates;
    this.logDeliveries = config.log.deliveries;
    this.dependencies = dependencies;
    this.alreadyConnected = new Set(dependencies.connected ?? []);
    const clock = dependencies.clock ?? systemClock;
    this.backends = dependencies.backends;
    for (const backend of this.backends) {
      for (const destination of backend.destinations) this.backendByDestination.set(destination, backend);
    }
    this.clock = clock;
    this.actionsConnection = new IcingaConnection(config.icinga.urls, connectionSettings(config.icinga), clock);
    const random = dependencies.random ?? Math.random;
    const backoff = { initialDelayMs: config.icinga.reconnect.minMs, maxDelayMs: config.icinga.reconnect.maxMs };
    this.objects = routesNeedObjects(config.routes ?? [])
      ? new ObjectCache({ connection: this.actionsConnection, backoff, clock, random, logger: this.logger.child('objects') })
      : undefined;
    this.cacheOnlyTypes = new Set(this.objects ? OBJECT_EVENT_TYPES.filter((type) => !config.icinga.events.includes(type)) : []);
    this.mentions = createMentions({ destinations: [], softStates: config.format.softStates, routes: config.routes, objects: this.objects });
    const router = createRouter({
      destinations: [...this.backendByDestination.keys()],
      softStates: config.format.softStates,
      routes: config.routes,
      objects: this.objects,
    });
    this.pipeline = new Pipeline({
      width: config.format.width,
      router,
      templates: config.templates,
    });
    this.stream = new EventStream({
      url: config.icinga.urls,
      connection: connectionSettings(config.icinga),
      types: [...config.icinga.events, ...this.cacheOnlyTypes],
      filter: config.icinga.filter,
      maxLineBytes: config.icinga.maxLineBytes,
      probeIntervalMs: config.icinga.probeIntervalMs,
      backoff,
      clock,
      random,
      logger: this.logger.child('icinga'),
    });
    this.stream.on('event', (event) => this.handleEvent(event));
    // Events in a reconnect gap are lost for good, Object* ones included: re-read everything.
    this.stream.on('status', (status) => {
      // Actions and the object cache use the master the stream reached (HA failover).
      if (status.state === 'connected') {
        this.actionsConnection.use(status.url);
        // The stream re-read a renewed CA or client certificate before it reconnected: so do actions.
        this.refreshTls(this.actionsConnection, 'commands');
      }
      if (status.state === 'connected') void this.objects?.load();
    });

    // Catch-up and silence detection: independent of the object cache's own re-read above.
    // Carried over by replace() while the state directory is the same: changes still on their way to chat stay unannounced.
    const carried = dependencies.hardStates;
    const storeCarried = carried?.dir === config.state?.dir && carried !== undefined;
    this.hardStates = storeCarried ? carried : new HardStateStore({ dir: config.state?.dir, clock, logger: this.logger.child('catchup') });
    this.hardStates.delivered = () => this.delivered();
    this.catchUp = new CatchUp({
      read: () => readCurrentStates(this.actionsConnection),
      store: this.hardStates,
      route: router,
      submit: (destination, message) => this.noise.submit(destination, message),
      release: (event) => this.handleEvent(event),
      clock,
      logger: this.logger.child('catchup'),
      width: config.format.width,
      retry: backoff,
      random,
      caughtUp: storeCarried && dependencies.contact?.caughtUp,
      muted: (destination, change) => this.noise.muting(destination, change.object, change.kind === 'recovered') !== undefined,
    });
    this.streamWasUp = dependencies.contact?.streamWasUp ?? false;
    // Carried over by replace() while the state directory is the same (without one it lives only in memory).
    this.echoes = new ActionEchoes(clock);
    this.web = config.web;
    const forgetAfterMs = config.state?.forgetProblemsAfterMs ?? DEFAULT_FORGET_AFTER_MS;
    this.problems =
      dependencies.problems?.dir === config.state?.dir && dependencies.problems
        ? dependencies.problems
        : new ProblemBook({ dir: config.state?.dir, forgetAfterMs, clock, logger: this.logger.child('problems') });
    this.problems.forgetAfterMs = forgetAfterMs;
    this.silence = new SilenceWatch({
      afterMs: config.silence?.afterMs ?? 120_000,
      notify: config.silence?.notify ?? [],
      submit: (destination, message) => this.noise.submit(destination, message),
      clock,
      logger: this.logger.child('silence'),
    });
    this.stream.on('status', (status) => {
      if (status.state === 'disconnected') this.silence.lost(status.reason);
      if (status.state !== 'connected') return;
      const downSince = this.streamWasUp ? this.silence.since : undefined;
      // Icinga2 2.13 loses some of the actions it accepts around a reload.
      if (this.streamWasUp) void this.actions.verifyRecent();
      this.streamWasUp = true;
      this.silence.found();
      void this.catchUp.run(downSince);
    });

    const deliver = (destination: string, message: RelayMessage) => this.deliver(destination, message);
    const onCount = (destination: string, kind: NoiseCount, events: number) => {
      if (this.fates && destination === this.fates.destination) this.fates.kind = kind;
      this.metrics.noiseCount(destination, kind, events);
    };
    this.noise =
      dependencies.noise ??
      new NoiseControl({ ...this.noiseSettings.noise, width: config.format.width, deliver, onCount }, { clock, logger: this.logger.child('noise') });
    this.noise.retarget(deliver, onCount);
    const settings = config.commands ?? DEFAULT_COMMANDS;
    this.audit = new AuditLog({ file: settings.auditFile, logger: this.logger.child('audit'), clock });
    this.actions = new IcingaActions(this.actionsConnection, clock, { random, logger: this.logger.child('commands') });
    this.commands = new Dispatcher({
      actions: this.actions,
      access: new AccessControl(config.access ?? defaultAccess(COMMANDS), COMMANDS),
      registry: COMMANDS,
      settings,
      audit: this.audit,
      logger: this.logger.child('commands'),
      clock,
      width: config.format.width,
      mutes: this.noise.mutes,
      references: this.problems,
      onAction: (action) => this.echoes.expect(action),
      web: config.web,
      onOutcome: (outcome, command) => this.metrics.commandOutcome(outcome, command),
      onThrottled: (backend) => this.metrics.senderThrottled(backend),
    });
    for (const backend of this.backends) {
      backend.onMessage((message) => {
        if (!this.stopped) void this.handleMessage(backend, message);
      });
    }
    this.metrics = this.createMetrics();
    this.health = config.http
      ? new HealthServer({ ...config.http, sources: this.healthSources(), metrics: this.metrics, logger: this.logger.child('http') })
      : undefined;
  }

  private refreshTls(connection: IcingaConnection, user: string): void {
    try {
      const changed = connection.refreshTls();
      if (changed.length > 0) this.logger.info('re-read renewed TLS files', { for: user, files: changed.join(',') });
    } catch (error) {
      this.logger.error('cannot use the renewed TLS files, keeping the ones in use', { for: user, error });
    }
  }

  /**
   * Whether everything handed on so far has reached the chat servers: nothing waits in noise control
   * or in a backend's alert queue. The relay that replaced this one answers for kept backends.
   */
  private delivered(): boolean {
    return !this.noise.holding && this.backends.every((backend) => (backend.alertsPending ?? 0) === 0);
  }

  // ---------------------------------------------------------------- health and metrics (src/health.ts)
  private healthSources() {
    return { stream: this.stream, backends: this.backends, noiseQueueDepth: () => this.noise.queueDepth };
  }

  /** Before the noise and command callbacks can fire: they only run once events or messages arrive. */
  private createMetrics(): RelayMetrics {
    const metrics = new RelayMetrics(this.healthSources());
    this.actionsConnection.onApiRequest = (seconds, result) => metrics.icingaApiRequest(seconds, result);
    this.stream.on('event', (event) => metrics.eventReceived(event.type));
    return metrics;
  }

  /** The port /healthz and /metrics listen on, once started; undefined without an http section. */
  healthPort: number | undefined;

  /** Seconds since the Icinga2 event behind `message`; undefined for what is not an event (replies, notices). */
  private lagOf(message: RelayMessage): number | undefined {
    if (message.eventType === 'Reply' || message.eventType === 'Relay' || !(message.timestamp > 0)) return undefined;
    return this.clock.now() / 1000 - message.timestamp;
  }

  /**
   * Starts reading events and connects every backend, each on its own: a backend that cannot
   * connect holds up neither the stream nor the others (their messages wait in their queues).
   * Resolves once each backend's first attempt is over, connected or not, or after START_WAIT_MS
   * at the latest (a chat server that accepts and never answers).
   */
  async start(): Promise<void> {
    this.audit.open();
    this.silence.start(this.dependencies.contact?.silence);
    if (this.health) this.healthPort = await this.health.start();
    // SIGTERM while the listener was starting.
    if (this.stopped) return;
    this.stream.start();
    const connecting = new Set(this.backends.filter((backend) => !this.alreadyConnected.has(backend)));
    const connected = Promise.all(
      [...connecting].map((backend) =>
        backend
          .connect()
          .catch((error: unknown) => this.logger.error('chat backend failed to connect', { backend: backend.name, error }))
          .finally(() => connecting.delete(backend)),
      ),
    );
    let timer: TimerHandle | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = this.clock.setTimeout(() => {
        this.logger.warn('chat backends still connecting; reading events meanwhile', { backends: [...connecting].map((backend) => backend.name).join(','), waitedMs: START_WAIT_MS });
        resolve();
      }, START_WAIT_MS);
    });
    await Promise.race([connected, waited]);
    this.clock.clearTimeout(timer);
  }

  handleEvent(event: IcingaEvent): void {
    // At debug, one line per event says what became of it ("where did my alert go?").
    const trace = this.eventLogger.enabled('debug');
    if (this.catchUp.hold(event)) {
      if (trace) this.traceEvent(event, 'held until the catch-up reading is in');
      return;
    }
    if (this.objects && event.type.startsWith('Object')) this.objects.handleEvent(event);
    if (this.cacheOnlyTypes.has(event.type)) {
      if (trace) this.traceEvent(event, 'read for the object cache only (not in icinga.events)');
      return;
    }
    const delivery = this.pipeline.process(event);
    if (!delivery) {
      if (trace) this.traceEvent(event, event.state_type === 0 && !this.softStates ? 'dropped: SOFT state (format.soft_states is off)' : 'dropped: no route');
      return;
    }
    // The events command's filter, then what only echoes a line already posted there (src/problems/echoes.ts).
    const shown = delivery.destinations.filter(
      (destination) => this.noise.mutes.shows(destination, delivery.message.eventType) && !this.echoes.folds(destination, delivery.message),
    );
    if (!trace) {
      for (const destination of shown) this.noise.submit(destination, delivery.message);
      return;
    }
    const fates: string[] = [];
    for (const destination of delivery.destinations) {
      if (!shown.includes(destination)) {
        fates.push(`${destination} not shown: left out by its events filter, or it echoes an action already shown there`);
        continue;
      }
      this.fates = { destination, message: delivery.message };
      this.noise.submit(destination, delivery.message);
      fates.push(`${destination} ${this.fates.passed ? 'passed to the chat backend' : this.fates.kind ? NOISE_FATES[this.fates.kind] : 'held for a storm window or the rate limit'}`);
    }
    this.fates = undefined;
    this.traceEvent(event, `routed: ${fates.join(', ')}`);
  }

  private traceEvent(event: IcingaEvent, fate: string): void {
    const { host, service } = event;
    const object = typeof host === 'string' ? (typeof service === 'string' ? `${host}!${service}` : host) : undefined;
    this.eventLogger.debug('event', { type: event.type, object, fate });
  }

  /** What noise control lets out, to the backend that serves the destination. */
  private deliver(destination: string, message: RelayMessage): void {
    if (this.fates?.destination === destination && this.fates.message === message) this.fates.passed = true;
    const backend = this.backendByDestination.get(destination);
    if (!backend) {
      // Only after a reload that removed the destination while noise control still held messages for it.
      this.logger.warn('dropped a message for a destination no longer configured', { destination, eventType: message.eventType });
      return;
    }
    const formatError = message.fields.format_error;
    if (formatError !== undefined) {
      // The generic line goes out instead; the formatter has a bug worth reporting. Checked on the
      // way out, because a message's text and fields are worked out only when read.
      this.logger.warn('formatter failed, relayed the generic line instead', { eventType: message.eventType, error: formatError, destination });
    }
    const steps = this.problems.observe(destination, message);
    const { web } = this;
    const outgoing =
      steps.length === 0
        ? message
        : referenced(message, steps, destination, {
            width: this.noiseSettings.width,
            mentions: this.mentions(message, destination),
            url: web && ((object) => objectUrl(web, object)),
            setRoot: (ref, rootId, rootText) => this.problems.setRoot(destination, ref, rootId, rootText),
          });
    backend
      .send(destination, outgoing)
      .then(
        () => {
          this.metrics.messageSent(destination, true, this.lagOf(message));
          // A backend with a queue logs when it hands the message to the server; the console sends at once.
          if (this.logDeliveries && !backend.flush) this.logger.info('sent', { destination, eventType: message.eventType, text: message.text });
        },
        (error: unknown) => {
          this.metrics.messageSent(destination, false);
          this.logger.error('delivery failed', { destination, eventType: message.eventType, error });
        },
      );
  }

  /** Runs the command in a message, if any, and sends the replies, in order, where it was written. */
  async handleMessage(backend: ChatBackend, message: IncomingMessage): Promise<void> {
    // The backend knows the names it has now (a fallback nick, a mention); the config only what was asked for.
    const names = backend.addressNames?.(message.destination) ?? configuredAddressNames(this.chat, backend.name);
    // Direct-message peers are as many as strangers care to make: one label for them all.
    const label = message.direct ? `${backend.name}:(direct)` : message.destination;
    const later = (reply: RelayMessage) => void this.sendReply(backend, message.destination, label, reply);
    const replies = await this.commands.dispatch(message, { backend: backend.name, names }, later);
    for (const reply of replies) await this.sendReply(backend, message.destination, label, reply);
  }

  /** `label`: the destination as /metrics counts it. */
  private async sendReply(backend: ChatBackend, destination: string, label: string, reply: RelayMessage): Promise<void> {
    try {
      await backend.send(destination, reply);
      this.metrics.messageSent(label, true);
    } catch (error) {
      this.metrics.messageSent(label, false);
      this.logger.error('reply failed', { destination, error });
    }
  }

  /** Opens the files the relay appends to anew by their names (SIGHUP: logrotate moved them away). */
  reopenFiles(): void {
    this.audit.reopen();
  }

  /**
   * Stops reading events first, then everything else; with `flushMs`, each closing backend first
   * gets that long to send what it still has queued (what is left is logged), then says goodbye
   * where its protocol has one (IRC QUIT, XMPP unavailable presence) in close().
   */
  async stop(options: StopOptions = {}): Promise<void> {
    this.stopped = true;
    await this.stream.stop();
    await this.health?.stop();
    this.silence.stop();
    this.catchUp.stop();
    const flushMs = options.flushMs ?? 0;
    // Noise control kept by the next relay goes on; otherwise what it holds goes out now (SIGTERM) or is logged.
    if (!options.keepNoise) {
      if (flushMs > 0) this.noise.flush();
      else this.noise.close();
    }
    this.objects?.stop();
    await this.actionsConnection.close();
    this.audit.close();
    const keep = new Set(options.keep ?? []);
    const closing = this.backends.filter((backend) => !keep.has(backend));
    await Promise.all(
      closing.map(async (backend) => {
        if (flushMs > 0 && backend.flush) {
          const unsent = await backend.flush(flushMs).catch((error: unknown) => {
            this.logger.warn('chat backend failed to flush', { backend: backend.name, error });
            return backend.queueDepth ?? 0;
          });
          if (unsent > 0) this.logger.warn('stopping with messages unsent', { backend: backend.name, unsent, flushMs });
        }
        await backend.close().catch((error: unknown) => this.logger.warn('chat backend did not close cleanly', { backend: backend.name, error }));
      }),
    );
    this.problems.flush();
    if (this.hardStatesHandedOver) return;
    // What the flush sent is announced; what is still queued is saved as not announced, for the next start's catch-up.
    this.hardStates.checkDelivered();
    this.hardStates.stop();
    this.hardStates.flush();
  }

  /**
   * The relay for `config`, replacing this one (SIGHUP): a backend whose `chat.<name>` block is
   * deep-equal to the running one carries over, connected, with its queue; the others are closed
   * and made anew. Noise control carries over too (storms, queues, dedup windows, mutes) when
   * the noise settings and width did not change. Everything else (event stream, commands)
   * starts afresh. Stops this relay and starts the new one.
   */
  async replace(config: RelayConfig, dependencies: RelayDependencies): Promise<Relay> {
    const kept = this.backends.filter((backend) => {
      const name = backend.name as keyof ChatConfig;
      return config.chat[name] !== undefined && isDeepStrictEqual(this.chat[name], config.chat[name]);
    });
    const keptNames = new Set(kept.map((backend) => backend.name));
    const changed = Object.fromEntries(Object.entries(config.chat).filter(([name]) => !keptNames.has(name))) as ChatConfig;
    const create = dependencies.createBackends ?? this.dependencies.createBackends ?? createBackends;
    // Made before this relay stops: a backend that cannot be made leaves the running relay as it is.
    const created = await create(changed, { logger: dependencies.logger, logDeliveries: config.log.deliveries });
    const keepNoise = isDeepStrictEqual(this.noiseSettings, { noise: config.noise ?? DEFAULT_NOISE, width: config.format.width });
    // The changes still on their way stay unannounced in the next relay, which sends them; unless
    // what holds them is closed here (noise control, a replaced backend): then the file keeps them
    // unannounced and the next catch-up reports them.
    this.hardStatesHandedOver =
      keepNoise && this.backends.every((backend) => kept.includes(backend) || (backend.alertsPending ?? 0) === 0);
    if (!this.hardStatesHandedOver) this.hardStates.flush();
    this.problems.flush();
    const next = new Relay(config, {
      ...dependencies,
      createBackends: create,
      backends: [...kept, ...created],
      connected: kept,
      ...(keepNoise && { noise: this.noise }),
      ...(this.hardStatesHandedOver && { hardStates: this.hardStates }),
      problems: this.problems,
      contact: { streamWasUp: this.streamWasUp, silence: this.silence.state, caughtUp: this.catchUp.caughtUp },
    });
    this.logger.info('reloading: chat connections', {
      kept: kept.map((backend) => backend.name).join(',') || 'none',
      replaced: created.map((backend) => backend.name).join(',') || 'none',
      noise: keepNoise ? 'kept' : 'reset (its settings changed)',
    });
    await this.stop({ keep: kept, keepNoise });
    await next.start();
    return next;
  }
}
