/**
 * Types for the parts of xmpp.js 0.14 that src/chat/xmpp/backend.ts composes into a client. The packages
 * ship none, and DefinitelyTyped has none for the transports and SASL mechanisms.
 */

declare module '@xmpp/client-core' {
  import type { EventEmitter } from 'node:events';

  export type XmlChild = Element | string | number | null | undefined | false;

  export interface Element {
    name: string;
    attrs: Record<string, string | undefined>;
    children: (Element | string)[];
    is(name: string, xmlns?: string): boolean;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    getChildElements(): Element[];
    text(): string;
    toString(): string;
  }

  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: XmlChild[]): Element;

  /** The socket under a connection: net.Socket for xmpp://, a TLS wrapper for xmpps:// and after STARTTLS. */
  export interface XmppSocket extends EventEmitter {
    secure: boolean;
  }

  /** Statuses: offline, connecting, connect, opening, open, online, closing, close, disconnecting, disconnect. */
  export class Client extends EventEmitter {
    constructor(options: { service: string; domain: string; timeout?: number });
    status: string;
    options: { service: string; domain: string };
    socket: XmppSocket | null;
    /** The full JID the server bound, once online. */
    jid: { toString(): string } | null;
    transports: unknown[];
    /** Opens the socket and the stream; resolves once negotiation has ended, online. */
    start(): Promise<unknown>;
    /** Closes the stream, then the socket. */
    stop(): Promise<unknown>;
    send(element: Element): Promise<void>;
    sendReceive(element: Element, timeoutMs?: number): Promise<Element>;
    restart(): Promise<unknown>;
    isSecure(): boolean;
    _attachSocket(socket: XmppSocket): void;
  }
}

declare module '@xmpp/tcp' {
  export default function tcp(plugins: { entity: import('@xmpp/client-core').Client }): void;
}

declare module '@xmpp/tls/lib/Connection.js' {
  /** The xmpps:// transport; socketParameters is called on the prototype to pick a transport. */
  export default class ConnectionTLS {
    socketParameters(service: string): { port: number; host: string } | undefined;
  }
}

declare module '@xmpp/tls/lib/Socket.js' {
  import { EventEmitter } from 'node:events';
  import type { XmppSocket } from '@xmpp/client-core';
  /** Wraps tls.connect(); emits 'connect' once the handshake (and certificate verification) succeeded. */
  export default class TlsSocket extends EventEmitter implements XmppSocket {
    secure: boolean;
    connect(options: import('node:tls').ConnectionOptions): void;
  }
}

declare module '@xmpp/middleware' {
  export interface Middleware {
    use(handler: (context: { entity: import('@xmpp/client-core').Client; stanza: import('@xmpp/client-core').Element }, next: () => Promise<unknown>) => unknown): unknown;
  }
  export default function middleware(plugins: { entity: import('@xmpp/client-core').Client }): Middleware;
}

declare module '@xmpp/stream-features' {
  import type { Client, Element } from '@xmpp/client-core';
  export interface StreamFeatures {
    use(
      name: string,
      xmlns: string,
      handler: (context: { entity: Client }, next: () => Promise<unknown>, feature: Element) => Promise<unknown>,
    ): unknown;
  }
  export default function streamFeatures(plugins: { middleware: import('@xmpp/middleware').Middleware }): StreamFeatures;
}

declare module '@xmpp/iq/caller.js' {
  import type { Client, Element } from '@xmpp/client-core';
  export interface IqCaller {
    /** Sends an iq of type get to `to` and resolves with its child named like `element`; rejects with the stanza error. */
    get(element: Element, to?: string, timeoutMs?: number): Promise<Element | undefined>;
    set(element: Element, to?: string, timeoutMs?: number): Promise<Element | undefined>;
  }
  export default function iqCaller(plugins: { entity: Client; middleware: import('@xmpp/middleware').Middleware }): IqCaller;
}

declare module '@xmpp/iq/callee.js' {
  export interface IqCallee {
    /** Answers get requests for this child element; a truthy return value becomes an empty result. */
    get(xmlns: string, name: string, handler: () => object): void;
  }
  /** Answers every get/set request; those nobody handles get service-unavailable, as RFC 6120 requires. */
  export default function iqCallee(plugins: { entity: import('@xmpp/client-core').Client; middleware: import('@xmpp/middleware').Middleware }): IqCallee;
}

declare module '@xmpp/sasl' {
  import type { Client } from '@xmpp/client-core';
  export type Authenticate = (credentials: { username: string; password: string }, mechanism: string) => Promise<void>;
  /** Called with the offered mechanisms we support, in our order of preference. */
  export type OnAuthenticate = (authenticate: Authenticate, mechanisms: string[], fast: null, entity: Client) => Promise<void>;
  export default function sasl(
    plugins: { streamFeatures: import('@xmpp/stream-features').StreamFeatures; saslFactory: import('saslmechanisms').default },
    onAuthenticate: OnAuthenticate,
  ): void;
}

declare module '@xmpp/sasl-scram-sha-1' {
  export default function saslScramSha1(factory: import('saslmechanisms').default): void;
}

declare module '@xmpp/sasl-plain' {
  export default function saslPlain(factory: import('saslmechanisms').default): void;
}

declare module 'saslmechanisms' {
  export default class SASLFactory {}
}

declare module '@xmpp/resource-binding' {
  export default function resourceBinding(
    plugins: { streamFeatures: import('@xmpp/stream-features').StreamFeatures; iqCaller: import('@xmpp/iq/caller.js').IqCaller },
    resource?: string,
  ): void;
}
