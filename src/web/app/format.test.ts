import { describe, expect, it } from 'vitest';
import { plural, quantity, unitFor } from './format.ts';

describe('plural', () => {
  it('agrees with the count', () => {
    expect(plural(1, 'item')).toBe('1 item');
    expect(plural(0, 'item')).toBe('0 items');
    expect(plural(31, 'bottle')).toBe('31 bottles');
    expect(plural(2, 'category', 'categories')).toBe('2 categories');
    expect(plural(1234, 'row')).toBe('1,234 rows');
  });
});

describe('quantity', () => {
  it('inflects a unit stored in the singular', () => {
    expect(quantity(31, 'bottle')).toBe('31 bottles');
    expect(quantity(1, 'bottle')).toBe('1 bottle');
    expect(quantity(0, 'bottle')).toBe('0 bottles');
    expect(quantity(-1, 'bottle')).toBe('-1 bottle');
    expect(quantity(2, 'box')).toBe('2 boxes');
    expect(quantity(3, 'battery')).toBe('3 batteries');
    expect(quantity(2, 'tray')).toBe('2 trays');
    expect(quantity(2, 'glass')).toBe('2 glasses');
    expect(quantity(2, 'Bottle')).toBe('2 Bottles');
  });

  it('inflects a unit stored in the plural', () => {
    expect(quantity(1, 'bottles')).toBe('1 bottle');
    expect(quantity(31, 'bottles')).toBe('31 bottles');
    expect(quantity(1, 'boxes')).toBe('1 box');
    expect(quantity(1, 'batteries')).toBe('1 battery');
    expect(quantity(1, 'glasses')).toBe('1 glass');
    expect(quantity(1, 'cases')).toBe('1 case');
  });

  it('says pc and pcs, and leaves symbols, abbreviations and odd units as they are', () => {
    expect(quantity(1, 'pcs')).toBe('1 pc');
    expect(quantity(12, 'pcs')).toBe('12 pcs');
    expect(quantity(2, 'pc')).toBe('2 pcs');
    for (const u of ['kg', 'ml', 'l', 'm²', 'btl.', 'EA', 'each', 'dozen', '500ml', 'x']) {
      expect(unitFor(2, u)).toBe(u);
      expect(unitFor(1, u)).toBe(u);
    }
  });

  it('inflects the head of a unit of several words', () => {
    expect(quantity(2, 'pack of 6')).toBe('2 packs of 6');
    expect(quantity(1, 'packs of 6')).toBe('1 pack of 6');
    expect(quantity(3, 'wine bottle')).toBe('3 wine bottles');
    expect(quantity(1_250, 'sheet')).toBe('1,250 sheets');
  });

  it('leaves an empty unit out', () => {
    expect(quantity(3, '')).toBe('3');
  });
});
