import type Docker from 'dockerode';
import { docker } from './docker-client.js';
import type { WaitStrategy } from './wait-strategies.js';

export interface StartedContainer {
  name: string;
  ip: string;
  container: Docker.Container;
}

/**
 * Builds one container with a fixed address on the run's network. testcontainers 11 cannot pin an
 * IPv4 address or a subnet, so containers are created with dockerode, in testcontainers' shape:
 * a builder with sensible defaults and a wait strategy object.
 */
export class ContainerBuilder {
  #name = '';
  #network = '';
  #ip = '';
  #cmd: string[] | undefined;
  #env: Record<string, string> = {};
  #labels: Record<string, string> = {};
  #binds: string[] = [];
  #capAdd: string[] = [];
  #wait: WaitStrategy | undefined;
  #startupTimeoutMs = 60_000;
  #stopTimeoutS = 10;

  constructor(private readonly image: string) {}

  withName(name: string): this {
    this.#name = name;
    return this;
  }

  withAddress(args: { network: string; ip: string }): this {
    this.#network = args.network;
    this.#ip = args.ip;
    return this;
  }

  withCommand(cmd: string[]): this {
    this.#cmd = cmd;
    return this;
  }

  withEnvironment(env: Record<string, string>): this {
    this.#env = { ...this.#env, ...env };
    return this;
  }

  withLabels(labels: Record<string, string>): this {
    this.#labels = { ...this.#labels, ...labels };
    return this;
  }

  /** `source:target[:mode]`; a named volume or a host path. */
  withBind(bind: string): this {
    this.#binds.push(bind);
    return this;
  }

  withAddedCapabilities(...caps: string[]): this {
    this.#capAdd.push(...caps);
    return this;
  }

  withWaitStrategy(wait: WaitStrategy): this {
    this.#wait = wait;
    return this;
  }

  withStartupTimeout(ms: number): this {
    this.#startupTimeoutMs = ms;
    return this;
  }

  withStopTimeout(seconds: number): this {
    this.#stopTimeoutS = seconds;
    return this;
  }

  async create(): Promise<StartedContainer> {
    if (!this.#name || !this.#network || !this.#ip) {
      throw new Error(`container for image ${this.image}: name, network and ip are required`);
    }
    const container = await docker().createContainer({
      name: this.#name,
      Image: this.image,
      Cmd: this.#cmd,
      Env: Object.entries(this.#env).map(([key, value]) => `${key}=${value}`),
      Labels: this.#labels,
      StopTimeout: this.#stopTimeoutS,
      HostConfig: {
        NetworkMode: this.#network,
        Binds: this.#binds,
        CapAdd: this.#capAdd,
        Init: false,
      },
      NetworkingConfig: {
        EndpointsConfig: { [this.#network]: { IPAMConfig: { IPv4Address: this.#ip } } },
      },
    });
    return { name: this.#name, ip: this.#ip, container };
  }

  async waitUntilReady(started: StartedContainer): Promise<void> {
    if (!this.#wait) return;
    await this.#wait.waitUntilReady({
      container: started.container,
      ip: started.ip,
      deadline: Date.now() + this.#startupTimeoutMs,
    });
  }

  async start(): Promise<StartedContainer> {
    const started = await this.create();
    await started.container.start();
    await this.waitUntilReady(started);
    return started;
  }
}
