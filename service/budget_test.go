package service

import (
	"testing"
	"time"
)

func TestBudget(t *testing.T) {
	tests := []struct {
		name     string
		cfg      BudgetConfig
		deposits int
		want     int // withdrawals that succeed
	}{
		{"20% of 100", BudgetConfig{MinPerSec: -1}, 100, 20},
		{"20% of 7", BudgetConfig{MinPerSec: -1}, 7, 1},
		{"29% of 100", BudgetConfig{Percent: 0.29, MinPerSec: -1}, 100, 29},
		{"reserve only", BudgetConfig{MinPerSec: 10, TTL: 10 * time.Second}, 0, 100},
		{"defaults", BudgetConfig{}, 100, 120},
		{"reserve and percent", BudgetConfig{Percent: 0.5, MinPerSec: 1, TTL: 5 * time.Second}, 10, 10},
		{"nothing", BudgetConfig{Percent: -1, MinPerSec: -1}, 100, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBudget(tt.cfg)
			for range tt.deposits {
				b.Deposit(testT0)
			}
			if got := b.Balance(testT0); got != tt.want {
				t.Errorf("Balance = %d, want %d", got, tt.want)
			}
			got := 0
			for range tt.want + 10 {
				if b.Withdraw(testT0) {
					got++
				}
			}
			if got != tt.want {
				t.Errorf("withdrawals = %d, want %d", got, tt.want)
			}
			if bal := b.Balance(testT0); bal != 0 {
				t.Errorf("Balance after withdrawing all = %d, want 0", bal)
			}
		})
	}
}

func TestBudgetExpiry(t *testing.T) {
	b := NewBudget(BudgetConfig{MinPerSec: -1, TTL: 10 * time.Second})
	for range 50 {
		b.Deposit(testT0)
	}
	tests := []struct {
		after time.Duration
		want  int
	}{
		{0, 10},
		{9 * time.Second, 10},
		{10 * time.Second, 0},
	}
	for _, tt := range tests {
		if got := b.Balance(testT0.Add(tt.after)); got != tt.want {
			t.Errorf("Balance %v after the deposits = %d, want %d", tt.after, got, tt.want)
		}
	}
	if !b.Withdraw(testT0) || !b.Withdraw(testT0.Add(5*time.Second)) {
		t.Fatal("Withdraw within the window failed")
	}
	if got := b.Balance(testT0.Add(5 * time.Second)); got != 8 {
		t.Errorf("Balance after two withdrawals = %d, want 8", got)
	}
	if got := b.Balance(testT0.Add(14 * time.Second)); got != 0 {
		t.Errorf("Balance after deposits expired = %d, want 0", got)
	}
}
