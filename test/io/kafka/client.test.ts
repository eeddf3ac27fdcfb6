import { describe, expect, it } from 'vitest';
import { parseBrokerList } from '../../../src/io/kafka/client.js';

describe('parseBrokerList', () => {
  it('splits and trims a broker list', () => {
    expect(parseBrokerList('127.0.0.1:9092')).toEqual(['127.0.0.1:9092']);
    expect(parseBrokerList(' a:9092, b:9093 ,')).toEqual(['a:9092', 'b:9093']);
    expect(parseBrokerList(['[::1]:9092', 'kafka.local:19092'])).toEqual(['[::1]:9092', 'kafka.local:19092']);
  });

  it('refuses an empty list and entries without a port', () => {
    expect(() => parseBrokerList('')).toThrow(/no Kafka brokers/);
    expect(() => parseBrokerList('localhost')).toThrow(/'localhost' is not host:port/);
    expect(() => parseBrokerList('a:9092,b:x')).toThrow(/'b:x'/);
  });
});
