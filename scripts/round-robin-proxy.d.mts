export interface RoundRobinProxy {
  /** http://host:port, no trailing slash. */
  url: string;
  port: number;
  /** served[i]: requests sent to upstreams[i] so far. */
  served: number[];
  close(): Promise<void>;
}
export declare function startRoundRobinProxy(upstreams: string[], port?: number, host?: string): Promise<RoundRobinProxy>;
