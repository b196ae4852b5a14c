/** Connections to Temporal from configuration: address, namespace, TLS files, API key from env. */
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { AppConfig } from './load';

function tlsOptions(config: AppConfig) {
  if (!config.tls) return undefined;
  const t = config.tls;
  return {
    ...(t.serverName ? { serverNameOverride: t.serverName } : {}),
    ...(t.caPath ? { serverRootCACertificate: readFileSync(t.caPath) } : {}),
    ...(t.certPath && t.keyPath
      ? { clientCertPair: { crt: readFileSync(t.certPath), key: readFileSync(t.keyPath) } }
      : {}),
  };
}

function apiKey(config: AppConfig): string | undefined {
  return config.apiKeyEnv ? process.env[config.apiKeyEnv] : undefined;
}

export async function connectClient(config: AppConfig & { temporalAddress: string }): Promise<Client> {
  const key = apiKey(config);
  const tls = tlsOptions(config);
  const connection = await Connection.connect({
    address: config.temporalAddress,
    ...(tls || key ? { tls: tls ?? true } : {}),
    ...(key ? { apiKey: key } : {}),
  });
  return new Client({ connection, namespace: config.namespace });
}

export async function connectWorker(config: AppConfig & { temporalAddress: string }): Promise<NativeConnection> {
  const key = apiKey(config);
  const tls = tlsOptions(config);
  return NativeConnection.connect({
    address: config.temporalAddress,
    ...(tls || key ? { tls: tls ?? true } : {}),
    ...(key ? { apiKey: key } : {}),
  });
}
